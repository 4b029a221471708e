#include "core/io/config_parse.h"

#include "core/io/error.h"

#include <fmt/format.h>

#include <cmath>

namespace moewb {

std::string describeJson(const nlohmann::json& value)
{
    switch (value.type()) {
    case nlohmann::json::value_t::null:
        return "null";
    case nlohmann::json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer:
        return std::to_string(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
        return std::to_string(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float:
        return fmt::format("{}", value.get<double>());
    case nlohmann::json::value_t::string: {
        const auto& s = value.get_ref<const std::string&>();
        // Quote through the JSON serialiser so control bytes and invalid UTF-8 stay printable.
        std::string shown = s.size() > 40 ? s.substr(0, 40) : s;
        nlohmann::json quoted = shown;
        std::string text = quoted.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
        return "string " + text + (s.size() > 40 ? "..." : "");
    }
    case nlohmann::json::value_t::array:
        return "an array";
    case nlohmann::json::value_t::object:
        return "an object";
    default:
        return "an unsupported value";
    }
}

void checkConfigDepth(const nlohmann::json& value, const std::string& source)
{
    std::vector<std::pair<const nlohmann::json*, int>> stack{{&value, 1}};
    while (!stack.empty()) {
        auto [node, depth] = stack.back();
        stack.pop_back();
        if (!node->is_structured())
            continue;
        if (depth > kMaxConfigDepth)
            throw Error(fmt::format("{}: JSON nested deeper than {} levels", source, kMaxConfigDepth));
        for (const auto& child : *node)
            stack.emplace_back(&child, depth + 1);
    }
}

ConfigReader::ConfigReader(const nlohmann::json& object, std::string source, std::string prefix)
    : m_object(object)
    , m_source(std::move(source))
    , m_prefix(std::move(prefix))
{
}

void ConfigReader::fail(const std::string& message) const
{
    throw Error(m_source + ": " + message);
}

const nlohmann::json* ConfigReader::find(
    std::initializer_list<std::string_view> names, std::string* used) const
{
    if (!m_object.is_object())
        return nullptr;
    for (auto name : names) {
        auto it = m_object.find(std::string(name));
        if (it != m_object.end() && !it->is_null()) {
            if (used)
                *used = std::string(name);
            return &*it;
        }
    }
    return nullptr;
}

int ConfigReader::toInt(
    const nlohmann::json& value, const std::string& name, long long min, long long max) const
{
    long double v = 0;
    if (value.is_number_integer() && !value.is_number_unsigned()) {
        v = static_cast<long double>(value.get<int64_t>());
    } else if (value.is_number_unsigned()) {
        v = static_cast<long double>(value.get<uint64_t>());
    } else if (value.is_number_float()) {
        // Python writes 4096 as an int, but hand-edited or converted configs sometimes say 4096.0.
        double d = value.get<double>();
        if (!std::isfinite(d) || std::floor(d) != d)
            fail(fmt::format("field '{}' must be an integer, got {}", qualified(name), describeJson(value)));
        v = static_cast<long double>(d);
    } else {
        fail(fmt::format("field '{}' must be an integer, got {}", qualified(name), describeJson(value)));
    }
    if (v < static_cast<long double>(min)) {
        if (min == 1)
            fail(fmt::format("field '{}' must be positive, got {}", qualified(name), describeJson(value)));
        fail(
            fmt::format("field '{}' must be at least {}, got {}", qualified(name), min, describeJson(value)));
    }
    if (v > static_cast<long double>(max))
        fail(fmt::format(
            "field '{}' = {} is out of range (at most {})", qualified(name), describeJson(value), max));
    return static_cast<int>(v);
}

double ConfigReader::toDouble(const nlohmann::json& value, const std::string& name) const
{
    if (!value.is_number())
        fail(fmt::format("field '{}' must be a number, got {}", qualified(name), describeJson(value)));
    double d = value.get<double>();
    if (!std::isfinite(d))
        fail(fmt::format("field '{}' must be finite, got {}", qualified(name), describeJson(value)));
    return d;
}

int ConfigReader::requiredInt(
    std::initializer_list<std::string_view> names, long long min, long long max) const
{
    std::string used;
    const auto* value = find(names, &used);
    if (!value)
        fail(fmt::format("missing required field '{}'", qualified(*names.begin())));
    return toInt(*value, used, min, max);
}

int ConfigReader::optionalInt(
    std::initializer_list<std::string_view> names, int fallback, long long min, long long max) const
{
    std::string used;
    const auto* value = find(names, &used);
    return value ? toInt(*value, used, min, max) : fallback;
}

std::optional<int> ConfigReader::nullableInt(
    std::initializer_list<std::string_view> names, long long min, long long max) const
{
    std::string used;
    const auto* value = find(names, &used);
    if (!value)
        return std::nullopt;
    return toInt(*value, used, min, max);
}

double ConfigReader::optionalDouble(std::string_view name, double fallback) const
{
    const auto* value = find({name});
    return value ? toDouble(*value, std::string(name)) : fallback;
}

std::optional<double> ConfigReader::nullableDouble(std::string_view name) const
{
    const auto* value = find({name});
    if (!value)
        return std::nullopt;
    return toDouble(*value, std::string(name));
}

bool ConfigReader::optionalBool(std::string_view name, bool fallback) const
{
    const auto* value = find({name});
    if (!value)
        return fallback;
    if (!value->is_boolean())
        fail(fmt::format("field '{}' must be true or false, got {}", qualified(name), describeJson(*value)));
    return value->get<bool>();
}

std::optional<std::string> ConfigReader::optionalString(std::string_view name) const
{
    const auto* value = find({name});
    if (!value)
        return std::nullopt;
    if (!value->is_string())
        fail(fmt::format("field '{}' must be a string, got {}", qualified(name), describeJson(*value)));
    return value->get<std::string>();
}

std::vector<int> ConfigReader::optionalIntList(std::string_view name) const
{
    const auto* value = find({name});
    if (!value)
        return {};
    if (!value->is_array())
        fail(fmt::format(
            "field '{}' must be a list of integers, got {}", qualified(name), describeJson(*value)));
    std::vector<int> out;
    out.reserve(value->size());
    const std::string element = std::string(name) + "[]";
    for (const auto& item : *value)
        out.push_back(toInt(item, element, -(1LL << 30), 1LL << 30));
    return out;
}

const nlohmann::json* ConfigReader::optionalObject(std::string_view name) const
{
    const auto* value = find({name});
    if (value && !value->is_object())
        fail(fmt::format("field '{}' must be an object, got {}", qualified(name), describeJson(*value)));
    return value;
}

} // namespace moewb
