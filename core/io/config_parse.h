// Typed, checked reads from a config.json object. Every failure is a moewb::Error that names the file
// and the field ("config.json: field 'hidden_size' must be an integer, got string \"4096\""), so a
// hostile or hand-edited config can never surface as a nlohmann exception or a silent wrong value.
#pragma once
#include "core/io/text_format.h"

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moewb {

class ConfigReader {
public:
    // `object` must outlive the reader. `prefix` qualifies field names in messages ("rope_scaling.").
    ConfigReader(const nlohmann::json& object, std::string source, std::string prefix = {});
    // A temporary would dangle: the reader keeps a reference.
    ConfigReader(const nlohmann::json&& object, std::string source, std::string prefix = {}) = delete;

    const std::string& source() const { return m_source; }
    const nlohmann::json& object() const { return m_object; }

    // The first of `names` present with a non-null value (later names are aliases, e.g. the v5
    // spelling), or nullptr. `used` receives the name found.
    const nlohmann::json* find(
        std::initializer_list<std::string_view> names, std::string* used = nullptr) const;
    bool has(std::string_view name) const { return find({name}) != nullptr; }

    int requiredInt(std::initializer_list<std::string_view> names, long long min, long long max) const;
    int optionalInt(
        std::initializer_list<std::string_view> names, int fallback, long long min, long long max) const;
    std::optional<int> nullableInt(
        std::initializer_list<std::string_view> names, long long min, long long max) const;
    double optionalDouble(std::string_view name, double fallback) const;
    std::optional<double> nullableDouble(std::string_view name) const;
    bool optionalBool(std::string_view name, bool fallback) const;
    std::optional<std::string> optionalString(std::string_view name) const;
    // Integers of a list field; null or absent gives an empty list.
    std::vector<int> optionalIntList(std::string_view name) const;
    // A nested object, or nullptr when absent or null; any other type is an error.
    const nlohmann::json* optionalObject(std::string_view name) const;

    std::string qualified(std::string_view name) const { return m_prefix + std::string(name); }
    [[noreturn]] void fail(const std::string& message) const;

private:
    int toInt(const nlohmann::json& value, const std::string& name, long long min, long long max) const;
    double toDouble(const nlohmann::json& value, const std::string& name) const;

    const nlohmann::json& m_object;
    std::string m_source;
    std::string m_prefix;
};

// Nesting deeper than this is rejected: real configs nest 3 levels, and copying or destroying a value
// nested a million levels deep would recurse that deep.
constexpr int kMaxConfigDepth = 64;
// Throws moewb::Error naming `source` when `value` nests deeper than kMaxConfigDepth (checked without
// recursion).
void checkConfigDepth(const nlohmann::json& value, const std::string& source);

// printable(): a config string as it may appear in a message (core/io/text_format.h).

// Short description of a JSON value for messages: numbers and booleans verbatim, strings quoted and
// truncated, containers by kind only (never dumped: a hostile config may be deeply nested).
std::string describeJson(const nlohmann::json& value);

} // namespace moewb
