// The extended export format's config.json (docs/export.md): the source architecture's config plus
// one key, kCompressionKey, describing every layer of the compressed model (kept experts, factored
// experts' ranks, condensed and dropped sublayers). Parsed here into the same ModelSpec as any other
// checkpoint, so the forward pass, validation and parameter counts need no second code path.
#include "core/io/config_parse.h"
#include "core/io/error.h"
#include "core/io/model_spec_detail.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace moewb::detail {

namespace {

std::vector<double> doubleList(const ConfigReader& r, std::string_view name)
{
    const auto* value = r.find({name});
    if (!value)
        return {};
    if (!value->is_array())
        r.fail(fmt::format("field '{}' must be a list of numbers, got {}", r.qualified(name), describeJson(*value)));
    std::vector<double> out;
    for (const auto& item : *value) {
        if (!item.is_number() || !std::isfinite(item.get<double>()))
            r.fail(fmt::format("field '{}' must hold finite numbers, got {}", r.qualified(name), describeJson(item)));
        out.push_back(item.get<double>());
    }
    return out;
}

void parseLayer(ModelSpec& spec, int i, const nlohmann::json& entry, const std::string& source)
{
    const std::string prefix = fmt::format("{}.layers[{}].", kCompressionKey, i);
    if (!entry.is_object())
        throw Error(fmt::format("{}: field '{}' must be an object, got {}", source,
            prefix.substr(0, prefix.size() - 1), describeJson(entry)));
    const ConfigReader r(entry, source, prefix);
    auto& layer = spec.layers[static_cast<size_t>(i)];
    layer.sourceLayer = r.optionalInt({"source_layer"}, i, 0, kMaxLayers);
    layer.mlpDropped = r.optionalBool("mlp_dropped", false);
    const bool hasExperts = r.has("experts");
    if (layer.kind == LayerKind::Dense || layer.mlpDropped) {
        if (hasExperts || r.has("ranks") || r.has("condensed_weights"))
            r.fail(fmt::format("layer {} is {} but lists experts", i, layer.mlpDropped ? "dropped" : "dense"));
        layer.numExperts = 0;
        return;
    }
    if (!hasExperts)
        r.fail(fmt::format("missing field '{}' (the layer's kept experts)", r.qualified("experts")));
    layer.sourceExperts = r.optionalIntList("experts");
    std::set<int> unique(layer.sourceExperts.begin(), layer.sourceExperts.end());
    if (unique.size() != layer.sourceExperts.size() || (!unique.empty() && *unique.begin() < 0))
        r.fail(fmt::format("field '{}' must list distinct non-negative expert ids", r.qualified("experts")));
    const int n = static_cast<int>(layer.sourceExperts.size());
    layer.condensed = r.has("condensed_weights");
    if (layer.condensed) {
        layer.condensedWeights = doubleList(r, "condensed_weights");
        if (static_cast<int>(layer.condensedWeights.size()) != n)
            r.fail(fmt::format("field '{}' has {} weights for {} experts", r.qualified("condensed_weights"),
                layer.condensedWeights.size(), n));
    } else if (n < layer.topK) {
        r.fail(fmt::format("keeps {} experts, fewer than num_experts_per_tok={}", n, layer.topK));
    } else if (spec.router.topkMethod == TopkMethod::GroupLimitedGreedy && n % spec.router.nGroup != 0) {
        r.fail(fmt::format("keeps {} experts, not divisible by n_group={}", n, spec.router.nGroup));
    }
    const std::vector<int> ranks = r.optionalIntList("ranks");
    if (!ranks.empty() && static_cast<int>(ranks.size()) != n)
        r.fail(fmt::format("field '{}' has {} entries for {} experts", r.qualified("ranks"), ranks.size(), n));
    const int maxRank = std::min(spec.hiddenSize, layer.expertWidth);
    for (int e = 0; e < static_cast<int>(ranks.size()); ++e) {
        if (ranks[static_cast<size_t>(e)] < 0 || ranks[static_cast<size_t>(e)] > maxRank)
            r.fail(fmt::format("field '{}' gives expert {} rank {}, outside [0, {}] (0 = dense)",
                r.qualified("ranks"), e, ranks[static_cast<size_t>(e)], maxRank));
        if (ranks[static_cast<size_t>(e)] > 0)
            layer.expertRanks[e] = ranks[static_cast<size_t>(e)];
    }
    layer.numExperts = n;
}

} // namespace

ModelSpec parseExtended(const nlohmann::json& config, const std::string& source)
{
    const ConfigReader top(config, source);
    const nlohmann::json* desc = top.optionalObject(kCompressionKey);
    if (!desc)
        top.fail(fmt::format("field '{}' must be an object", kCompressionKey));
    const ConfigReader r(*desc, source, std::string(kCompressionKey) + ".");
    if (r.optionalString("format").value_or("") != "moewb-extended")
        r.fail(fmt::format("field '{}' must be \"moewb-extended\"", r.qualified("format")));
    const int version = r.requiredInt({"version"}, 1, 1 << 20);
    if (version > kCompressionVersion)
        r.fail(fmt::format("extended format version {} is newer than this MoE Workbench reads ({}); update it",
            version, kCompressionVersion));
    const auto baseArch = r.optionalString("base_architecture");
    const auto baseType = r.optionalString("base_model_type");
    if (!baseArch || !baseType)
        r.fail(fmt::format("fields '{}' and '{}' must name the source architecture",
            r.qualified("base_architecture"), r.qualified("base_model_type")));
    const nlohmann::json* layers = r.find({"layers"});
    if (!layers || !layers->is_array())
        r.fail(fmt::format("field '{}' must be a list with one entry per layer", r.qualified("layers")));

    // The source architecture's own config, as the stock loader would see it.
    nlohmann::json base = config;
    base.erase(kCompressionKey);
    base.erase("auto_map");
    base["architectures"] = nlohmann::json::array({*baseArch});
    base["model_type"] = *baseType;
    ModelSpec spec = parseModelSpec(base, source);
    if (static_cast<int>(layers->size()) != spec.numLayers)
        r.fail(fmt::format("field '{}' has {} entries, but num_hidden_layers={}", r.qualified("layers"),
            layers->size(), spec.numLayers));
    for (int i = 0; i < spec.numLayers; ++i)
        parseLayer(spec, i, (*layers)[static_cast<size_t>(i)], source);
    // Every MoE layer is stored per expert under the transformers module names (the generated
    // modeling file's module tree), whatever the source architecture called them.
    spec.naming.moePrefix = "mlp";
    spec.naming.gateProj = "gate_proj";
    spec.naming.upProj = "up_proj";
    spec.naming.downProj = "down_proj";
    spec.extended = true;
    spec.config = config;
    return spec;
}

} // namespace moewb::detail
