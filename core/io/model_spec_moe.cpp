// MoE part of config.json parsing: which layers are sparse, expert sizes, shared experts, routing.
#include "core/io/config_parse.h"
#include "core/io/error.h"
#include "core/io/model_spec_detail.h"

#include <fmt/format.h>

#include <algorithm>

namespace moewb::detail {

namespace {

struct LayerRule {
    // Qwen: dense if i in mlp_only_layers or (i+1) % decoder_sparse_step != 0.
    std::vector<int> mlpOnlyLayers;
    int decoderSparseStep = 0; // 0: not a Qwen rule
    // DeepSeek: dense if i < first_k_dense_replace or i % moe_layer_freq != 0.
    int firstKDense = 0;
    int moeLayerFreq = 0; // 0: not a DeepSeek rule

    bool isMoe(int i) const
    {
        if (decoderSparseStep > 0)
            return std::find(mlpOnlyLayers.begin(), mlpOnlyLayers.end(), i) == mlpOnlyLayers.end()
                && (i + 1) % decoderSparseStep == 0;
        if (moeLayerFreq > 0)
            return i >= firstKDense && i % moeLayerFreq == 0;
        return true;
    }
};

void parseRouter(ModelSpec& spec, const ConfigReader& r)
{
    auto& router = spec.router;
    switch (spec.arch) {
    case Architecture::Mixtral:
        router.normTopkProb = true; // always renormalised
        return;
    case Architecture::Qwen2Moe:
    case Architecture::Qwen3Moe:
    case Architecture::Olmoe:
        router.normTopkProb = r.optionalBool("norm_topk_prob", false);
        return;
    case Architecture::Deepseek:
    case Architecture::DeepseekV2:
        break;
    }
    if (auto scoring = r.optionalString("scoring_func"); scoring && *scoring != "softmax")
        r.fail(fmt::format("field 'scoring_func' is \"{}\"; only \"softmax\" routing is supported for {}",
            printable(*scoring), spec.architectureName));
    router.normTopkProb = r.optionalBool("norm_topk_prob", false);
    if (spec.arch == Architecture::Deepseek) {
        router.softmaxFp32 = false; // the remote MoEGate takes the softmax in the model dtype
        return;
    }
    router.softmaxFp32 = true;
    router.combineFp32 = true;
    router.routedScalingFactor = r.optionalDouble("routed_scaling_factor", 1.0);
    if (!(router.routedScalingFactor > 0.0))
        r.fail(fmt::format(
            "field 'routed_scaling_factor' must be positive, got {}", router.routedScalingFactor));
    const std::string method = r.optionalString("topk_method").value_or("greedy");
    if (method == "greedy"
        || method == "gready") // "gready": the remote configuration class's default spelling
        router.topkMethod = TopkMethod::Greedy;
    else if (method == "group_limited_greedy")
        router.topkMethod = TopkMethod::GroupLimitedGreedy;
    else
        r.fail(fmt::format(
            "field 'topk_method' is \"{}\" (supported: greedy, group_limited_greedy)", printable(method)));
    router.nGroup = r.optionalInt({"n_group"}, 1, 1, kMaxExperts);
    router.topkGroup = r.optionalInt({"topk_group"}, 1, 1, kMaxExperts);
}

void validateRouting(
    const ModelSpec& spec, const ConfigReader& r, const FieldNames& names, int experts, int topK)
{
    if (topK > experts)
        r.fail(fmt::format("{}={} exceeds {}={}", names.topK, topK, names.experts, experts));
    const auto& router = spec.router;
    if (router.topkMethod != TopkMethod::GroupLimitedGreedy)
        return;
    if (experts % router.nGroup != 0)
        r.fail(fmt::format("{}={} is not divisible by n_group={}", names.experts, experts, router.nGroup));
    if (router.topkGroup > router.nGroup)
        r.fail(fmt::format("topk_group={} exceeds n_group={}", router.topkGroup, router.nGroup));
    if (static_cast<long long>(topK) > static_cast<long long>(router.topkGroup) * (experts / router.nGroup))
        r.fail(fmt::format("{}={} exceeds the {} experts in the topk_group={} groups kept", names.topK, topK,
            router.topkGroup * (experts / router.nGroup), router.topkGroup));
}

} // namespace

void parseMoe(ModelSpec& spec, const ConfigReader& r)
{
    const FieldNames names = fieldNames(spec.arch);
    const ArchDefaults defaults = archDefaults(spec.arch);
    const nlohmann::json& config = r.object();

    // v5 renames some expert counts through attribute_map (Qwen3-MoE saves num_local_experts, Mixtral
    // accepts num_experts): read the architecture's own name first, the alias second.
    int experts = 0;
    if (spec.arch == Architecture::Mixtral)
        experts = r.requiredInt({"num_local_experts", "num_experts"}, 1, kMaxExperts);
    else if (spec.arch == Architecture::Deepseek || spec.arch == Architecture::DeepseekV2)
        experts = r.requiredInt({"n_routed_experts", "num_experts"}, 1, kMaxExperts);
    else
        experts = r.requiredInt({"num_experts", "num_local_experts"}, 1, kMaxExperts);
    const int topK = r.requiredInt({"num_experts_per_tok"}, 1, kMaxExperts);
    const int expertWidth = r.requiredInt({names.expertWidth}, 1, kMaxWidth);

    LayerRule rule;
    SharedExpertSpec shared;
    int denseWidth = 0;
    switch (spec.arch) {
    case Architecture::Mixtral:
        spec.naming.moePrefix = "block_sparse_moe";
        spec.naming.gateProj = "w1";
        spec.naming.upProj = "w3";
        spec.naming.downProj = "w2";
        break;
    case Architecture::Olmoe:
        break;
    case Architecture::Qwen2Moe:
    case Architecture::Qwen3Moe:
        rule.decoderSparseStep = r.optionalInt({"decoder_sparse_step"}, 1, 1, kMaxLayers);
        rule.mlpOnlyLayers = r.optionalIntList("mlp_only_layers");
        if (spec.arch == Architecture::Qwen2Moe) {
            shared.count = 1;
            shared.intermediateSize = r.optionalInt({names.sharedWidth}, 5632, 1, kMaxWidth);
            shared.gated = true;
            spec.naming.sharedPrefix = "shared_expert";
        }
        break;
    case Architecture::DeepseekV2:
    case Architecture::Deepseek: {
        rule.firstKDense = r.optionalInt({"first_k_dense_replace"}, 0, 0, kMaxLayers);
        rule.moeLayerFreq = r.optionalInt({"moe_layer_freq"}, 1, 1, kMaxLayers);
        // Native DeepseekV2Config defaults to 2 shared experts; the remote DeepSeekMoE class to none.
        const int sharedDefault
            = (spec.arch == Architecture::DeepseekV2 && !config.contains("n_shared_experts")) ? 2 : 0;
        shared.count = r.optionalInt({"n_shared_experts"}, sharedDefault, 0, 1024);
        shared.intermediateSize = shared.count * expertWidth;
        if (shared.intermediateSize > kMaxWidth)
            r.fail(fmt::format(
                "n_shared_experts*moe_intermediate_size = {}*{} is out of range", shared.count, expertWidth));
        shared.gated = false;
        spec.naming.sharedPrefix = "shared_experts";
        break;
    }
    }

    spec.layers.assign(static_cast<size_t>(spec.numLayers), LayerSpec{});
    bool anyDense = false;
    for (int i = 0; i < spec.numLayers; ++i)
        anyDense = anyDense || !rule.isMoe(i);
    if (anyDense)
        denseWidth = r.optionalInt({names.denseWidth}, defaults.denseIntermediate, 1, kMaxWidth);
    for (int i = 0; i < spec.numLayers; ++i) {
        auto& layer = spec.layers[static_cast<size_t>(i)];
        if (rule.isMoe(i)) {
            layer.kind = LayerKind::Moe;
            layer.numExperts = experts;
            layer.topK = topK;
            layer.expertWidth = expertWidth;
            layer.shared = shared.count > 0 ? shared : SharedExpertSpec{};
        } else {
            layer.kind = LayerKind::Dense;
            layer.intermediateSize = denseWidth;
        }
    }

    parseRouter(spec, r);
    validateRouting(spec, r, names, experts, topK);
}

} // namespace moewb::detail
