#include "core/io/strict_json.h"

#include "core/io/error.h"
#include "core/io/safetensors_header.h"
#include "core/io/text_format.h"

#include <set>
#include <utility>
#include <vector>

namespace moewb {

namespace {

using nlohmann::json;

// Builds the DOM like nlohmann's json_sax_dom_parser, plus the checks. Pointers to open containers
// stay valid: an array gets no new element while its last element is still open, and object
// members live in std::map nodes.
class StrictBuilder {
public:
    StrictBuilder(const std::string& name, std::string_view what, int maxDepth)
        : m_name(name)
        , m_what(what)
        , m_maxDepth(maxDepth)
    {
    }

    json& result() { return m_root; }
    const std::string& error() const { return m_error; }

    bool null() { return add(nullptr); }
    bool boolean(bool value) { return add(value); }
    bool number_integer(json::number_integer_t value) { return add(value); }
    bool number_unsigned(json::number_unsigned_t value) { return add(value); }
    bool number_float(json::number_float_t value, const json::string_t&) { return add(value); }
    bool string(json::string_t& value) { return add(std::move(value)); }
    bool binary(json::binary_t& value) { return add(std::move(value)); }

    bool start_object(std::size_t) { return open(json::object(), true); }
    bool start_array(std::size_t) { return open(json::array(), false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(json::string_t& key)
    {
        Frame& top = m_frames.back();
        if (!top.keys.insert(key).second) {
            if (top.name.empty())
                m_error = fmt::format("{}: {} names '{}' twice", m_name, m_what, printable(key));
            else
                m_error = fmt::format(
                    "{}: {} has key '{}' twice inside '{}'", m_name, m_what, printable(key), printable(top.name));
            return false;
        }
        top.lastKey = key;
        m_member = &(*top.value)[key];
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e)
    {
        // Drop nlohmann's "[json.exception.parse_error.101] " tag, and bound the text: its "last
        // read" part quotes the offending token, which in a hostile file can be megabytes long (and
        // control bytes, escaped by printable()).
        std::string_view detail = e.what();
        if (detail.starts_with("[json.exception.")) {
            if (const auto end = detail.find("] "); end != std::string_view::npos)
                detail.remove_prefix(end + 2);
        }
        m_error = fmt::format(
            "{}: {} is not valid JSON: {}", m_name, m_what, printable(detail, kQuotedParseErrorBytes));
        return false;
    }

private:
    struct Frame {
        json* value = nullptr;
        bool object = false;
        std::set<std::string> keys;
        std::string name; // "w", "w.shape[]": where a duplicate was found
        std::string lastKey;
    };

    template <typename Value> json* place(Value&& value)
    {
        if (m_frames.empty()) {
            m_root = json(std::forward<Value>(value));
            return &m_root;
        }
        Frame& top = m_frames.back();
        if (!top.object) {
            top.value->emplace_back(std::forward<Value>(value));
            return &top.value->back();
        }
        *m_member = json(std::forward<Value>(value));
        return m_member;
    }

    template <typename Value> bool add(Value&& value)
    {
        place(std::forward<Value>(value));
        return true;
    }

    bool open(json&& container, bool object)
    {
        if (static_cast<int>(m_frames.size()) >= m_maxDepth) {
            m_error = fmt::format("{}: {} nests JSON deeper than {} levels", m_name, m_what, m_maxDepth);
            return false;
        }
        Frame frame;
        frame.object = object;
        if (!m_frames.empty()) {
            const Frame& parent = m_frames.back();
            const std::string own = parent.object ? parent.lastKey : std::string("[]");
            frame.name = parent.name.empty() ? own
                : parent.object              ? parent.name + "." + own
                                             : parent.name + own;
        }
        frame.value = place(std::move(container));
        m_frames.push_back(std::move(frame));
        return true;
    }

    bool close()
    {
        m_frames.pop_back();
        return true;
    }

    const std::string& m_name;
    std::string_view m_what;
    int m_maxDepth;
    json m_root;
    json* m_member = nullptr;
    std::vector<Frame> m_frames;
    std::string m_error;
};

} // namespace

json parseStrictJson(std::string_view text, const std::string& name, std::string_view what, int maxDepth)
{
    if (const auto bad = findInvalidUtf8(text))
        fail("{}: {} is not valid UTF-8 (byte {} of the {})", name, what, *bad, what);
    StrictBuilder builder(name, what, maxDepth);
    bool ok = false;
    try {
        ok = json::sax_parse(
            text.data(), text.data() + text.size(), &builder, json::input_format_t::json, true);
    } catch (const json::exception& e) {
        fail("{}: {} is not valid JSON: {}", name, what, printable(e.what(), kQuotedParseErrorBytes));
    }
    if (!ok)
        fail("{}",
            builder.error().empty() ? fmt::format("{}: {} is not valid JSON", name, what) : builder.error());
    return std::move(builder.result());
}

} // namespace moewb
