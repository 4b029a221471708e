// Tokenizer loading and the encode/decode pipelines; the stages live in tokenizer_*.cpp.
#include "core/io/tokenizer.h"

#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/text_format.h"
#include "core/io/tokenizer_internal.h"
#include "core/io/tokenizer_unicode.h"

#include <nlohmann/json.hpp>


namespace moewb {

using namespace tokenizer_detail;

namespace tokenizer_detail {

const Json& JsonReader::get(const Json& object, const char* key, const char* what) const
{
    if (!object.is_object()) fail("{}: {} must be a JSON object", source, what);
    const auto it = object.find(key);
    if (it == object.end()) fail("{}: {} has no '{}' field", source, what, key);
    return *it;
}

std::string JsonReader::string(const Json& object, const char* key, const char* what) const
{
    const Json& value = get(object, key, what);
    if (!value.is_string()) fail("{}: {} field '{}' must be a string", source, what, key);
    return value.get<std::string>();
}

std::string JsonReader::stringOr(const Json& object, const char* key, const char* what, std::string fallback) const
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail("{}: {} field '{}' must be a string", source, what, key);
    return it->get<std::string>();
}

std::string JsonReader::character(const Json& object, const char* key, const char* what) const
{
    std::string s = string(object, key, what);
    std::size_t i = 0;
    if (!s.empty()) nextCodePoint(s, i);
    if (s.empty() || i != s.size() || !isValidUtf8(s)) fail("{}: {} field '{}' must be one character", source, what, key);
    return s;
}

bool JsonReader::boolOr(const Json& object, const char* key, const char* what, bool fallback) const
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail("{}: {} field '{}' must be true or false", source, what, key);
    return it->get<bool>();
}

std::string JsonReader::type(const Json& object, const char* what) const { return string(object, "type", what); }

const Json& JsonReader::steps(const Json& object, const char* key, const char* what) const
{
    // Counted over the whole file: encoding recurses once per step along a path through nested
    // Sequences, and 32 levels of 1024 steps overflowed the stack.
    constexpr std::size_t kMaxSteps = 256;
    const Json& list = get(object, key, what);
    if (!list.is_array()) fail("{}: {} field '{}' must be an array", source, what, key);
    stepsSeen += list.size();
    if (stepsSeen > kMaxSteps)
        fail("{}: {} brings the Sequence steps to {} (at most {} in all supported)", source, what, stepsSeen,
             kMaxSteps);
    return list;
}

namespace {
thread_local int t_nesting = 0;
} // namespace

NestingGuard::NestingGuard(const JsonReader& reader, const char* what)
{
    constexpr int kMaxNesting = 32;
    if (t_nesting >= kMaxNesting) fail("{}: {} nested more than {} deep", reader.source, what, kMaxNesting);
    ++t_nesting;
}

NestingGuard::~NestingGuard() { --t_nesting; }

} // namespace tokenizer_detail

struct Tokenizer::Impl {
    std::string source;
    std::unique_ptr<Normalizer> normalizer;
    std::unique_ptr<PreTokenizer> preTokenizer;
    std::unique_ptr<BpeModel> model;
    std::unique_ptr<PostProcessor> postProcessor;
    std::unique_ptr<Decoder> decoder;
    AddedVocabulary added;
    std::optional<std::int32_t> bos, eos;
    bool addBos = false, addEos = false;
};

namespace {

Json parseJson(std::string_view text, const std::string& source)
{
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        fail("{}: invalid JSON: {}", source, printable(e.what(), kQuotedParseErrorBytes));
    }
}

std::vector<AddedToken> parseAddedTokens(const Json& root, const JsonReader& reader)
{
    std::vector<AddedToken> tokens;
    const auto it = root.find("added_tokens");
    if (it == root.end() || it->is_null()) return tokens;
    if (!it->is_array()) fail("{}: 'added_tokens' must be an array", reader.source);
    for (const Json& entry : *it) {
        AddedToken t;
        t.content = reader.string(entry, "content", "added token");
        if (entry.contains("id") && entry["id"].is_number_integer()) t.id = entry["id"].get<std::int32_t>();
        t.singleWord = reader.boolOr(entry, "single_word", "added token", false);
        t.lstrip = reader.boolOr(entry, "lstrip", "added token", false);
        t.rstrip = reader.boolOr(entry, "rstrip", "added token", false);
        t.special = reader.boolOr(entry, "special", "added token", false);
        t.normalized = reader.boolOr(entry, "normalized", "added token", !t.special);
        tokens.push_back(std::move(t));
    }
    return tokens;
}

template <class T, class Parse>
std::unique_ptr<T> parseOptional(const Json& root, const char* key, const JsonReader& reader, Parse parse)
{
    const auto it = root.find(key);
    if (it == root.end() || it->is_null()) return nullptr;
    return parse(*it, reader);
}

// bos_token / eos_token are a string, null, or an AddedToken object with "content".
std::optional<std::string> configToken(const Json& config, const char* key)
{
    const auto it = config.find(key);
    if (it == config.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
        return (*it)["content"].get<std::string>();
    return std::nullopt;
}

// Runs a stage that may match regexes: their failures name no file (compiled patterns are shared
// between files), so this tokenizer's is added.
template <class F> void namingFile(const std::string& source, F&& stage)
{
    try {
        stage();
    } catch (const RegexFailure& e) {
        fail("{}: {}", source, e.what());
    }
}

} // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::fromFile(const std::filesystem::path& tokenizerJson)
{
    const std::string text = readWholeFile(tokenizerJson, kMaxTokenizerJsonBytes, "tokenizer.json");
    const auto configPath = tokenizerJson.parent_path() / "tokenizer_config.json";
    std::error_code ec;
    if (!std::filesystem::exists(configPath, ec)) return load(text, tokenizerJson.string(), std::nullopt, {});
    const std::string config = readWholeFile(configPath, kMaxTokenizerJsonBytes, "tokenizer_config.json");
    return load(text, tokenizerJson.string(), config, configPath.string());
}

Tokenizer Tokenizer::fromJson(std::string_view json, std::string_view source,
                              std::optional<std::string_view> configJson)
{
    return load(json, std::string(source), configJson, "tokenizer_config.json");
}

Tokenizer Tokenizer::load(std::string_view json, std::string source, std::optional<std::string_view> configJson,
                          const std::string& configSource)
{
    auto impl = std::make_unique<Impl>();
    impl->source = std::move(source);
    const JsonReader reader{impl->source};
    const Json root = parseJson(json, impl->source);
    if (!root.is_object()) fail("{}: not a tokenizer.json document (top level is not an object)", impl->source);
    if (!root.contains("model")) fail("{}: no 'model' section", impl->source);

    const Json& model = root["model"];
    // Old files leave the model type out; the library then recognizes BPE by its merges.
    const std::string modelType =
        model.is_object() && !model.contains("type") && model.contains("merges") ? "BPE" : reader.type(model, "model");
    if (modelType != "BPE") fail("{}: unsupported model type '{}' (only BPE is supported)", impl->source, modelType);
    impl->model = std::make_unique<BpeModel>(model, reader);
    impl->normalizer = parseOptional<Normalizer>(root, "normalizer", reader, parseNormalizer);
    impl->preTokenizer = parseOptional<PreTokenizer>(root, "pre_tokenizer", reader, parsePreTokenizer);
    impl->postProcessor = parseOptional<PostProcessor>(root, "post_processor", reader, parsePostProcessor);
    impl->decoder = parseOptional<Decoder>(root, "decoder", reader, parseDecoder);
    const double growth = (impl->normalizer ? impl->normalizer->growth() : 1.0) *
                          (impl->preTokenizer ? impl->preTokenizer->growth() : 1.0);
    if (growth > kMaxGrowth)
        fail("{}: the normalizer and pre-tokenizer can lengthen text {:.3g}-fold (steps such as ByteLevel or "
             "Replace, chained); at most {}-fold is supported",
             impl->source, growth, kMaxGrowth);
    if (impl->decoder && impl->decoder->growth() > kMaxGrowth)
        fail("{}: the decoder can lengthen text {:.3g}-fold (Replace steps, chained); at most {}-fold is supported",
             impl->source, impl->decoder->growth(), kMaxGrowth);
    namingFile(impl->source,
               [&] { impl->added.add(parseAddedTokens(root, reader), *impl->model, impl->normalizer.get()); });

    Tokenizer tokenizer(std::move(impl));
    if (configJson) {
        const Json config = parseJson(*configJson, configSource);
        if (!config.is_object()) fail("{}: top level is not an object", configSource);
        const auto idOf = [&](const char* key) -> std::optional<std::int32_t> {
            const auto token = configToken(config, key);
            return token ? tokenizer.tokenToId(*token) : std::nullopt;
        };
        Impl& loaded = *tokenizer.m_impl;
        loaded.bos = idOf("bos_token");
        loaded.eos = idOf("eos_token");
        const JsonReader configReader{configSource};
        loaded.addBos = configReader.boolOr(config, "add_bos_token", "tokenizer config", false);
        loaded.addEos = configReader.boolOr(config, "add_eos_token", "tokenizer config", false);
    }
    return tokenizer;
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool addSpecialTokens) const
{
    std::string repaired;
    if (!isValidUtf8(text)) {
        repaired = toValidUtf8(text);
        text = repaired;
    }
    const Impl& impl = *m_impl;
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3 + 8);
    const auto toModel = [&](std::string_view piece, bool) { impl.model->tokenize(piece, ids); };
    const auto onText = [&](std::string_view segment, bool atStart) {
        if (impl.preTokenizer) impl.preTokenizer->split(segment, atStart, toModel);
        else impl.model->tokenize(segment, ids);
    };
    const auto onToken = [&](std::int32_t id) { ids.push_back(id); };
    namingFile(impl.source, [&] { impl.added.extract(text, impl.normalizer.get(), onText, onToken); });
    if (impl.postProcessor) impl.postProcessor->process(ids, addSpecialTokens);
    return ids;
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool skipSpecialTokens) const
{
    const Impl& impl = *m_impl;
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const std::int32_t id : ids) {
        const std::string* token = impl.added.idToToken(id);
        if (!token) token = impl.model->idToToken(id);
        if (!token || (skipSpecialTokens && impl.added.isSpecial(*token))) continue;
        tokens.push_back(*token);
    }
    std::string text;
    if (impl.decoder) {
        namingFile(impl.source, [&] { impl.decoder->decode(tokens); });
        for (const auto& t : tokens) text += t;
    } else {
        for (std::size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
    }
    return text;
}

std::optional<std::int32_t> Tokenizer::tokenToId(std::string_view token) const
{
    if (auto id = m_impl->added.tokenToId(token)) return id;
    return m_impl->model->tokenToId(token);
}

std::optional<std::string> Tokenizer::idToToken(std::int32_t id) const
{
    if (const AddedToken* t = m_impl->added.find(id)) return t->content;
    if (const std::string* token = m_impl->model->idToToken(id)) return *token;
    return std::nullopt;
}

std::size_t Tokenizer::vocabSize() const
{
    std::size_t extra = 0;
    for (const auto& t : m_impl->added.tokens())
        if (!m_impl->model->idToToken(t.id)) ++extra;
    return m_impl->model->size() + extra;
}

bool Tokenizer::isSpecial(std::int32_t id) const
{
    const AddedToken* t = m_impl->added.find(id);
    return t && t->special;
}

std::optional<std::int32_t> Tokenizer::bosId() const { return m_impl->bos; }
std::optional<std::int32_t> Tokenizer::eosId() const { return m_impl->eos; }
bool Tokenizer::addBosToken() const { return m_impl->addBos; }
bool Tokenizer::addEosToken() const { return m_impl->addEos; }
const std::string& Tokenizer::source() const { return m_impl->source; }

} // namespace moewb
