// Decoders (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, BPEDecoder, Sequence) and
// post-processors (TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence).
#include "core/io/error.h"
#include "core/io/tokenizer_internal.h"
#include "core/io/tokenizer_unicode.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <string>

namespace moewb::tokenizer_detail {

namespace {

char32_t singleChar(const Json& json, const char* key, const char* what, const JsonReader& reader)
{
    const std::string s = reader.character(json, key, what);
    std::size_t i = 0;
    return nextCodePoint(s, i);
}

class ByteLevelDecoder final : public Decoder {
public:
    void decode(std::vector<std::string>& tokens) const override
    {
        std::string bytes;
        for (const auto& token : tokens) {
            const std::size_t mark = bytes.size();
            bool mapped = true;
            for (std::size_t i = 0; i < token.size();) {
                const int b = charToByte(nextCodePoint(token, i));
                if (b < 0) {
                    mapped = false;
                    break;
                }
                bytes.push_back(static_cast<char>(b));
            }
            if (!mapped) bytes.resize(mark), bytes += token; // not byte-level text: keep it as is
        }
        tokens.assign(1, toValidUtf8(bytes));
    }
    double growth() const override { return 2; } // a stray byte of a 2-byte character becomes U+FFFD
};

class MetaspaceDecoder final : public Decoder {
public:
    MetaspaceDecoder(char32_t replacement, bool prependNever) : m_replacement(replacement), m_prependNever(prependNever) {}
    void decode(std::vector<std::string>& tokens) const override
    {
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            std::string out;
            for (std::size_t i = 0; i < tokens[t].size();) {
                const char32_t cp = nextCodePoint(tokens[t], i);
                if (cp != m_replacement) appendUtf8(out, cp);
                else if (t != 0 || m_prependNever) out += ' '; // the first token's markers are dropped
            }
            tokens[t] = std::move(out);
        }
    }

private:
    char32_t m_replacement;
    bool m_prependNever;
};

class ByteFallbackDecoder final : public Decoder {
public:
    void decode(std::vector<std::string>& tokens) const override
    {
        std::vector<std::string> out;
        std::string pending;
        const auto flush = [&] {
            if (pending.empty()) return;
            if (isValidUtf8(pending)) out.push_back(pending);
            else out.insert(out.end(), pending.size(), "\xEF\xBF\xBD"); // one U+FFFD per byte
            pending.clear();
        };
        for (auto& token : tokens) {
            const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
            if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>' && hex(token[3]) && hex(token[4])) {
                pending.push_back(static_cast<char>(std::stoi(token.substr(3, 2), nullptr, 16)));
                continue;
            }
            flush();
            out.push_back(std::move(token));
        }
        flush();
        tokens = std::move(out);
    }
};

class FuseDecoder final : public Decoder {
public:
    void decode(std::vector<std::string>& tokens) const override
    {
        std::string joined;
        for (const auto& t : tokens) joined += t;
        tokens.assign(1, std::move(joined));
    }
};

class StripDecoder final : public Decoder {
public:
    StripDecoder(char32_t content, std::size_t start, std::size_t stop) : m_content(content), m_start(start), m_stop(stop) {}
    void decode(std::vector<std::string>& tokens) const override
    {
        for (auto& token : tokens) {
            std::u32string chars;
            for (std::size_t i = 0; i < token.size();) chars.push_back(nextCodePoint(token, i));
            std::size_t begin = 0, end = chars.size();
            while (begin < std::min(m_start, chars.size()) && chars[begin] == m_content) ++begin;
            for (std::size_t k = 0; k < m_stop && end > begin && chars[end - 1] == m_content; ++k) --end;
            std::string out;
            for (std::size_t i = begin; i < end; ++i) appendUtf8(out, chars[i]);
            token = std::move(out);
        }
    }

private:
    char32_t m_content;
    std::size_t m_start, m_stop;
};

class ReplaceDecoder final : public Decoder {
public:
    ReplaceDecoder(std::shared_ptr<const Regex> pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content))
    {
    }
    void decode(std::vector<std::string>& tokens) const override
    {
        for (auto& token : tokens) {
            std::string out;
            forEachSpan(*m_pattern, token, false, [&](Match span, bool matched) {
                out += matched ? std::string_view(m_content) : std::string_view(token).substr(span.first, span.second - span.first);
            });
            token = std::move(out);
        }
    }
    double growth() const override { return static_cast<double>(m_content.size()) + 1; }

private:
    std::shared_ptr<const Regex> m_pattern;
    std::string m_content;
};

class BpeSuffixDecoder final : public Decoder {
public:
    explicit BpeSuffixDecoder(std::string suffix) : m_suffix(std::move(suffix)) {}
    void decode(std::vector<std::string>& tokens) const override
    {
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            if (m_suffix.empty()) continue;
            const std::string replacement = t + 1 == tokens.size() ? "" : " ";
            std::string out;
            std::size_t pos = 0;
            for (std::size_t hit; (hit = tokens[t].find(m_suffix, pos)) != std::string::npos; pos = hit + m_suffix.size())
                out.append(tokens[t], pos, hit - pos) += replacement;
            out.append(tokens[t], pos);
            tokens[t] = std::move(out);
        }
    }

private:
    std::string m_suffix;
};

class SequenceDecoder final : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : m_steps(std::move(steps)) {}
    void decode(std::vector<std::string>& tokens) const override
    {
        for (const auto& step : m_steps) step->decode(tokens);
    }
    double growth() const override
    {
        double product = 1;
        for (const auto& step : m_steps) product *= step->growth();
        return product;
    }

private:
    std::vector<std::unique_ptr<Decoder>> m_steps;
};

// ---- post-processors ---------------------------------------------------------------------------

// A post-processor's token id: the library reads a u32; ids index tables here, so at most INT32_MAX.
std::int32_t tokenId(const Json& id, const JsonReader& reader, const char* what, const std::string& token)
{
    if (!id.is_number_unsigned() || id.get<std::uint64_t>() > INT32_MAX)
        fail("{}: {} '{}' has an invalid id (not a whole number from 0 to {})", reader.source, what, token, INT32_MAX);
    return id.get<std::int32_t>();
}

class TemplateProcessor final : public PostProcessor {
public:
    // Each item: the ids of a special token, or (empty optional) the input sequence.
    explicit TemplateProcessor(std::vector<std::optional<std::vector<std::int32_t>>> items) : m_items(std::move(items)) {}
    void process(std::vector<std::int32_t>& ids, bool addSpecialTokens) const override
    {
        if (!addSpecialTokens) return;
        std::vector<std::int32_t> out;
        out.reserve(ids.size() + 4);
        for (const auto& item : m_items) {
            if (item) out.insert(out.end(), item->begin(), item->end());
            else out.insert(out.end(), ids.begin(), ids.end());
        }
        ids = std::move(out);
    }

private:
    std::vector<std::optional<std::vector<std::int32_t>>> m_items;
};

class NoOpProcessor final : public PostProcessor {
public:
    void process(std::vector<std::int32_t>&, bool) const override {}
};

class SequenceProcessor final : public PostProcessor {
public:
    explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : m_steps(std::move(steps)) {}
    void process(std::vector<std::int32_t>& ids, bool addSpecialTokens) const override
    {
        for (const auto& step : m_steps) step->process(ids, addSpecialTokens);
    }

private:
    std::vector<std::unique_ptr<PostProcessor>> m_steps;
};

std::unique_ptr<PostProcessor> parseTemplate(const Json& json, const JsonReader& reader)
{
    const Json& single = reader.get(json, "single", "TemplateProcessing");
    const Json& special = reader.get(json, "special_tokens", "TemplateProcessing");
    if (!single.is_array() || !special.is_object())
        fail("{}: TemplateProcessing needs a 'single' array and a 'special_tokens' object", reader.source);
    std::vector<std::optional<std::vector<std::int32_t>>> items;
    for (const Json& piece : single) {
        if (piece.is_object() && piece.contains("Sequence")) {
            items.emplace_back(std::nullopt);
            continue;
        }
        if (!piece.is_object() || !piece.contains("SpecialToken"))
            fail("{}: TemplateProcessing piece must be a Sequence or a SpecialToken", reader.source);
        const std::string name = reader.string(piece["SpecialToken"], "id", "TemplateProcessing special token");
        if (!special.contains(name)) fail("{}: TemplateProcessing uses special token '{}' it does not define", reader.source, name);
        const Json& ids = reader.get(special[name], "ids", "TemplateProcessing special token");
        if (!ids.is_array()) fail("{}: TemplateProcessing special token '{}' needs an 'ids' array", reader.source, name);
        std::vector<std::int32_t> values;
        for (const Json& id : ids) values.push_back(tokenId(id, reader, "TemplateProcessing special token", name));
        items.emplace_back(std::move(values));
    }
    return std::make_unique<TemplateProcessor>(std::move(items));
}

// BertProcessing / RobertaProcessing: "cls": ["<s>", 0], "sep": ["</s>", 2].
std::unique_ptr<PostProcessor> parseClsSep(const Json& json, const JsonReader& reader, const char* what)
{
    const auto idOf = [&](const char* key) {
        const Json& pair = reader.get(json, key, what);
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string())
            fail("{}: {} field '{}' must be [token, id]", reader.source, what, key);
        return tokenId(pair[1], reader, what, pair[0].get<std::string>());
    };
    std::vector<std::optional<std::vector<std::int32_t>>> items;
    items.emplace_back(std::vector<std::int32_t>{idOf("cls")});
    items.emplace_back(std::nullopt);
    items.emplace_back(std::vector<std::int32_t>{idOf("sep")});
    return std::make_unique<TemplateProcessor>(std::move(items));
}

} // namespace

std::unique_ptr<Decoder> parseDecoder(const Json& json, const JsonReader& reader)
{
    const std::string type = reader.type(json, "decoder");
    if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
    if (type == "Metaspace") {
        const std::string scheme = reader.stringOr(json, "prepend_scheme", "Metaspace decoder", "always");
        const bool never = scheme == "never" || !reader.boolOr(json, "add_prefix_space", "Metaspace decoder", true);
        return std::make_unique<MetaspaceDecoder>(singleChar(json, "replacement", "Metaspace decoder", reader), never);
    }
    if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse") return std::make_unique<FuseDecoder>();
    if (type == "Strip") {
        const auto count = [&](const char* key) {
            const Json& v = reader.get(json, key, "Strip decoder");
            if (!v.is_number_unsigned()) fail("{}: Strip decoder field '{}' must be a count", reader.source, key);
            return v.get<std::size_t>();
        };
        return std::make_unique<StripDecoder>(singleChar(json, "content", "Strip decoder", reader), count("start"),
                                              count("stop"));
    }
    if (type == "Replace")
        return std::make_unique<ReplaceDecoder>(parsePattern(json, reader, "Replace decoder"),
                                                reader.string(json, "content", "Replace decoder"));
    if (type == "BPEDecoder") return std::make_unique<BpeSuffixDecoder>(reader.stringOr(json, "suffix", "BPEDecoder", "</w>"));
    if (type == "Sequence") {
        const NestingGuard guard(reader, "Sequence decoder");
        const Json& list = reader.steps(json, "decoders", "Sequence decoder");
        std::vector<std::unique_ptr<Decoder>> steps;
        for (const Json& step : list) steps.push_back(parseDecoder(step, reader));
        return std::make_unique<SequenceDecoder>(std::move(steps));
    }
    fail("{}: unsupported decoder '{}' (supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, "
         "BPEDecoder, Sequence)",
         reader.source, type);
}

std::unique_ptr<PostProcessor> parsePostProcessor(const Json& json, const JsonReader& reader)
{
    const std::string type = reader.type(json, "post_processor");
    if (type == "TemplateProcessing") return parseTemplate(json, reader);
    if (type == "ByteLevel") return std::make_unique<NoOpProcessor>(); // only trims offsets
    if (type == "BertProcessing" || type == "RobertaProcessing") return parseClsSep(json, reader, type.c_str());
    if (type == "Sequence") {
        const NestingGuard guard(reader, "Sequence post-processor");
        const Json& list = reader.steps(json, "processors", "Sequence post-processor");
        std::vector<std::unique_ptr<PostProcessor>> steps;
        for (const Json& step : list) steps.push_back(parsePostProcessor(step, reader));
        return std::make_unique<SequenceProcessor>(std::move(steps));
    }
    fail("{}: unsupported post-processor '{}' (supported: TemplateProcessing, ByteLevel, BertProcessing, "
         "RobertaProcessing, Sequence)",
         reader.source, type);
}

} // namespace moewb::tokenizer_detail
