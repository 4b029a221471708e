// Normalizers: NFC/NFD/NFKC/NFKD, Lowercase, Strip, Prepend, Replace, ByteLevel, Sequence.
#include "core/io/error.h"
#include "core/io/tokenizer_internal.h"
#include "core/io/tokenizer_unicode.h"

#include <nlohmann/json.hpp>

namespace moewb::tokenizer_detail {

namespace {

class UnicodeNormalizer final : public Normalizer {
public:
    explicit UnicodeNormalizer(NormalForm form) : m_form(form) {}
    void normalize(std::string& text, bool&) const override { text = normalizeUnicode(text, m_form); }
    // At most 18 code points per code point (UAX #15), 4 bytes each for one of at least 2.
    double growth() const override { return 36; }

private:
    NormalForm m_form;
};

class Lowercase final : public Normalizer {
public:
    void normalize(std::string& text, bool&) const override { text = toLowercase(text); }
    double growth() const override { return 2; } // U+0130: 2 bytes -> 3
};

class Strip final : public Normalizer {
public:
    Strip(bool left, bool right) : m_left(left), m_right(right) {}
    void normalize(std::string& text, bool& atStart) const override
    {
        std::size_t begin = 0, end = text.size();
        if (m_left) {
            while (begin < end) {
                std::size_t next = begin;
                if (!isWhitespace(nextCodePoint(text, next))) break;
                begin = next;
            }
        }
        if (m_right) {
            while (end > begin) {
                std::size_t prev = end - 1;
                while (prev > begin && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80) --prev;
                std::size_t i = prev;
                if (!isWhitespace(nextCodePoint(text, i))) break;
                end = prev;
            }
        }
        if (begin > 0) atStart = false;
        text = text.substr(begin, end - begin);
    }

private:
    bool m_left, m_right;
};

class Prepend final : public Normalizer {
public:
    explicit Prepend(std::string prefix) : m_prefix(std::move(prefix)) {}
    void normalize(std::string& text, bool&) const override
    {
        if (!text.empty()) text.insert(0, m_prefix);
    }

private:
    std::string m_prefix;
};

class Replace final : public Normalizer {
public:
    Replace(std::shared_ptr<const Regex> pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content))
    {
    }
    void normalize(std::string& text, bool& atStart) const override
    {
        std::string out;
        out.reserve(text.size());
        forEachSpan(*m_pattern, text, false, [&](Match span, bool matched) {
            if (matched) {
                if (span.first == 0 && m_content.empty() && span.second > 0) atStart = false;
                out += m_content;
            } else {
                out.append(text, span.first, span.second - span.first);
            }
        });
        text = std::move(out);
    }
    // An empty match before every character inserts the content each time.
    double growth() const override { return static_cast<double>(m_content.size()) + 1; }

private:
    std::shared_ptr<const Regex> m_pattern;
    std::string m_content;
};

class ByteLevelNormalizer final : public Normalizer {
public:
    void normalize(std::string& text, bool&) const override
    {
        std::string out;
        out.reserve(text.size() * 2);
        for (const char c : text) out += byteToCharUtf8(static_cast<unsigned char>(c));
        text = std::move(out);
    }
    double growth() const override { return 2; }
};

class SequenceNormalizer final : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : m_steps(std::move(steps)) {}
    void normalize(std::string& text, bool& atStart) const override
    {
        for (const auto& step : m_steps) step->normalize(text, atStart);
    }
    double growth() const override
    {
        double product = 1;
        for (const auto& step : m_steps) product *= step->growth();
        return product;
    }

private:
    std::vector<std::unique_ptr<Normalizer>> m_steps;
};

} // namespace

// {"String": "..."} or {"Regex": "..."}, as Split and Replace store their patterns.
std::shared_ptr<const Regex> parsePattern(const Json& json, const JsonReader& reader, const char* what)
{
    const Json& pattern = reader.get(json, "pattern", what);
    if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string())
        return Regex::literal(pattern["String"].get<std::string>(), reader.source);
    if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string())
        return Regex::onig(pattern["Regex"].get<std::string>(), reader.source);
    fail("{}: {} pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}", reader.source, what);
}

std::unique_ptr<Normalizer> parseNormalizer(const Json& json, const JsonReader& reader)
{
    const std::string type = reader.type(json, "normalizer");
    if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFC);
    if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFD);
    if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKC);
    if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKD);
    if (type == "Lowercase") return std::make_unique<Lowercase>();
    if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
    if (type == "Strip")
        return std::make_unique<Strip>(reader.boolOr(json, "strip_left", "Strip normalizer", true),
                                       reader.boolOr(json, "strip_right", "Strip normalizer", true));
    if (type == "Prepend") return std::make_unique<Prepend>(reader.string(json, "prepend", "Prepend normalizer"));
    if (type == "Replace")
        return std::make_unique<Replace>(parsePattern(json, reader, "Replace normalizer"),
                                         reader.string(json, "content", "Replace normalizer"));
    if (type == "Sequence") {
        const NestingGuard guard(reader, "Sequence normalizer");
        const Json& list = reader.steps(json, "normalizers", "Sequence normalizer");
        std::vector<std::unique_ptr<Normalizer>> steps;
        for (const Json& step : list) steps.push_back(parseNormalizer(step, reader));
        return std::make_unique<SequenceNormalizer>(std::move(steps));
    }
    fail("{}: unsupported normalizer '{}' (supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, "
         "ByteLevel, Sequence)",
         reader.source, type);
}

} // namespace moewb::tokenizer_detail
