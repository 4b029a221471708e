// config.json -> ModelSpec. Defaults for optional fields are the ones of the reference implementation
// of each architecture (transformers' configuration_*.py; DeepSeekMoE-16B's remote
// configuration_deepseek.py), so a config transformers accepts parses to the model transformers
// builds. Required are only the fields that say which model this is: architecture, hidden_size,
// num_hidden_layers, num_attention_heads, vocab_size, the expert count, top-k and expert width.
#include "core/io/model_spec.h"

#include "core/io/config_parse.h"
#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/model_spec_detail.h"
#include "core/io/text_format.h"

#include <fmt/format.h>


namespace moewb {

namespace {

struct ArchInfo {
    Architecture arch;
    const char* className;
    const char* modelType;
};

constexpr ArchInfo kArchs[] = {
    {Architecture::Mixtral, "MixtralForCausalLM", "mixtral"},
    {Architecture::Qwen2Moe, "Qwen2MoeForCausalLM", "qwen2_moe"},
    {Architecture::Qwen3Moe, "Qwen3MoeForCausalLM", "qwen3_moe"},
    {Architecture::Olmoe, "OlmoeForCausalLM", "olmoe"},
    {Architecture::DeepseekV2, "DeepseekV2ForCausalLM", "deepseek_v2"},
    {Architecture::Deepseek, "DeepseekForCausalLM", "deepseek"},
};

std::string supportedList()
{
    std::string out;
    for (const auto& a : kArchs)
        out += (out.empty() ? "" : ", ") + std::string(a.className);
    return out;
}

const ArchInfo& identify(const ConfigReader& r, const nlohmann::json& config)
{
    std::optional<std::string> className;
    if (const auto* archs = r.find({"architectures"})) {
        if (!archs->is_array())
            r.fail(
                fmt::format("field 'architectures' must be a list of strings, got {}", describeJson(*archs)));
        if (!archs->empty()) {
            const auto& first = archs->front();
            if (!first.is_string())
                r.fail(fmt::format(
                    "field 'architectures' must be a list of strings, got {} in it", describeJson(first)));
            className = first.get<std::string>();
        }
    }
    const auto modelType = r.optionalString("model_type");
    if (!className && !modelType)
        r.fail("missing required field 'architectures' (nor is there a 'model_type')");

    const ArchInfo* byClass = nullptr;
    const ArchInfo* byType = nullptr;
    for (const auto& a : kArchs) {
        if (className && *className == a.className)
            byClass = &a;
        if (modelType && *modelType == a.modelType)
            byType = &a;
    }
    if (className && !byClass)
        r.fail(
            fmt::format("unknown architecture '{}' (supported: {})", printable(*className), supportedList()));
    if (!className && !byType)
        r.fail(fmt::format(
            "unknown architecture '{}' (model_type; supported: {})", printable(*modelType), supportedList()));
    if (byClass && modelType && byType != byClass)
        r.fail(fmt::format("architectures[0] is '{}' but model_type is '{}' (expected '{}')",
            printable(*className), printable(*modelType), byClass->modelType));
    return byClass ? *byClass : *byType;
}

// torch dtype names as written by transformers ("bfloat16"; some tools write "torch.bfloat16").
DType parseTorchDtype(const ConfigReader& r, bool* found)
{
    std::string field;
    const auto* value = r.find({"dtype", "torch_dtype"}, &field);
    *found = value != nullptr;
    if (!value)
        return DType::BF16;
    if (!value->is_string())
        r.fail(fmt::format(
            "field '{}' must be a string such as \"bfloat16\", got {}", field, describeJson(*value)));
    std::string name = value->get<std::string>();
    if (name.rfind("torch.", 0) == 0)
        name = name.substr(6);
    static const std::pair<const char*, DType> kNames[] = {
        {"bfloat16", DType::BF16},
        {"float16", DType::F16},
        {"half", DType::F16},
        {"float32", DType::F32},
        {"float", DType::F32},
        {"float64", DType::F64},
        {"double", DType::F64},
        {"float8_e4m3fn", DType::F8_E4M3},
        {"float8_e5m2", DType::F8_E5M2},
        {"int8", DType::I8},
        {"uint8", DType::U8},
    };
    for (const auto& [n, d] : kNames)
        if (name == n)
            return d;
    r.fail(fmt::format("field '{}' names an unknown dtype {}", field, describeJson(*value)));
}

std::optional<int> tokenId(const ConfigReader& r, std::string_view name)
{
    const auto* value = r.find({name});
    if (!value)
        return std::nullopt;
    // Some configs list several end-of-sequence ids; the first is the primary one.
    if (value->is_array()) {
        if (value->empty())
            return std::nullopt;
        // The reader keeps a reference: the object must outlive it (a temporary here was the first
        // fuzz_config finding).
        const nlohmann::json first = nlohmann::json::object({{std::string(name), value->front()}});
        const ConfigReader list(first, r.source());
        return list.nullableInt({name}, 0, (1LL << 31) - 1);
    }
    return r.nullableInt({name}, 0, (1LL << 31) - 1);
}

} // namespace

std::string architectureName(Architecture arch)
{
    for (const auto& a : kArchs)
        if (a.arch == arch)
            return a.className;
    return "unknown";
}

int ModelSpec::numMoeLayers() const
{
    int n = 0;
    for (const auto& l : layers)
        n += l.kind == LayerKind::Moe ? 1 : 0;
    return n;
}

std::vector<int> ModelSpec::moeLayerIndices() const
{
    std::vector<int> out;
    for (size_t i = 0; i < layers.size(); ++i)
        if (layers[i].kind == LayerKind::Moe)
            out.push_back(static_cast<int>(i));
    return out;
}

ModelSpec parseModelSpec(const nlohmann::json& config, const std::string& sourceName)
{
    if (!config.is_object())
        throw Error(fmt::format(
            "{}: expected a JSON object at the top level, got {}", sourceName, describeJson(config)));
    checkConfigDepth(config, sourceName);
    if (config.contains(kCompressionKey))
        return detail::parseExtended(config, sourceName);
    ConfigReader r(config, sourceName);
    ModelSpec spec;
    const ArchInfo& info = identify(r, config);
    spec.arch = info.arch;
    spec.architectureName = info.className;
    spec.modelType = info.modelType;
    const detail::ArchDefaults defaults = detail::archDefaults(spec.arch);

    spec.hiddenSize = r.requiredInt({"hidden_size"}, 1, detail::kMaxWidth);
    spec.numLayers = r.requiredInt({"num_hidden_layers"}, 1, detail::kMaxLayers);
    spec.vocabSize = r.requiredInt({"vocab_size"}, 1, detail::kMaxVocab);
    spec.maxPositionEmbeddings
        = r.optionalInt({"max_position_embeddings"}, defaults.maxPositionEmbeddings, 1, (1LL << 31) - 1);
    spec.rmsNormEps = r.optionalDouble("rms_norm_eps", defaults.rmsNormEps);
    if (!(spec.rmsNormEps > 0.0))
        r.fail(fmt::format("field 'rms_norm_eps' must be positive, got {}", spec.rmsNormEps));
    spec.tieWordEmbeddings = r.optionalBool("tie_word_embeddings", false);
    spec.dtype = parseTorchDtype(r, &spec.dtypeFromConfig);
    spec.hiddenAct = r.optionalString("hidden_act").value_or("silu");
    spec.bosTokenId = tokenId(r, "bos_token_id");
    spec.eosTokenId = tokenId(r, "eos_token_id");
    spec.padTokenId = tokenId(r, "pad_token_id");

    detail::parseAttention(spec, r);
    detail::parseRope(spec, r);
    detail::parseMoe(spec, r);
    spec.config = config;
    return spec;
}

ModelSpec parseModelSpecText(std::string_view text, const std::string& sourceName)
{
    // The parser's own exceptions become moewb::Error naming the file, like every other problem.
    nlohmann::json config;
    try {
        // Stop at the depth limit while parsing, before a hostile file builds a deep tree.
        auto limitDepth = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > kMaxConfigDepth)
                throw Error(
                    fmt::format("{}: JSON nested deeper than {} levels", sourceName, kMaxConfigDepth));
            return true;
        };
        config = nlohmann::json::parse(text.begin(), text.end(), limitDepth);
    } catch (const nlohmann::json::exception& e) {
        throw Error(
            fmt::format("{}: invalid JSON ({})", sourceName, printable(e.what(), kQuotedParseErrorBytes)));
    }
    return parseModelSpec(config, sourceName);
}

ModelSpec loadModelSpec(const std::filesystem::path& configPath)
{
    return parseModelSpecText(readWholeFile(configPath, kMaxConfigJsonBytes, "config.json"), configPath.string());
}

} // namespace moewb
