// Parameter and byte accounting of a model with a plan applied. The tensors come from the same
// catalogue that validates checkpoints (expectedTensors), so the source count equals io's
// countParameters and the result is what export writes.
#include "core/plan/plan.h"

#include "core/io/tensor_layout.h"

namespace moewb {
namespace {

// A rank-r factor of an m x n matrix stores A (m x r) and B (r x n): r(m+n) instead of m n.
uint64_t expertParameters(uint64_t d, uint64_t width, const ResolvedLayer& layer, int expert)
{
    const auto rank = layer.ranks.find(expert);
    if (rank == layer.ranks.end())
        return 3 * d * width;
    return 3 * static_cast<uint64_t>(rank->second.rank) * (d + width);
}

} // namespace

PlanParameters planParameters(const ModelSpec& spec, const ResolvedPlan* plan)
{
    PlanParameters out;
    const uint64_t d = static_cast<uint64_t>(spec.hiddenSize);
    // The fused listing holds each layer's experts in two tensors; routed experts are counted per
    // kept expert below instead, so their ranks apply.
    for (const ExpectedTensor& t : expectedTensors(spec, ExpertLayout::FusedV5)) {
        if (t.optional)
            continue; // lm_head of a tied model shares the embedding's storage
        if (t.component == Component::RoutedExperts)
            continue;
        uint64_t numel = t.numel();
        if (plan && t.layer >= 0) {
            const ResolvedLayer& layer = plan->layers.at(static_cast<size_t>(t.layer));
            const LayerSpec& ls = spec.layers[static_cast<size_t>(t.layer)];
            const bool moePart = t.component == Component::Router || t.component == Component::RoutedExperts
                || t.component == Component::SharedExperts || t.name == postAttentionNormName(t.layer);
            if (layer.blockDropped || (layer.moeDropped && moePart))
                continue; // a dropped MoE sublayer is a pure residual skip: no norm, router or experts
            if (t.component == Component::Router) {
                if (layer.condensed)
                    continue; // a condensed layer has no router
                numel = numel / static_cast<uint64_t>(ls.numExperts) * layer.experts.size();
            }
        }
        out.byComponent[t.component] += numel;
    }
    for (size_t i = 0; i < spec.layers.size(); ++i) {
        const LayerSpec& ls = spec.layers[i];
        if (ls.kind != LayerKind::Moe)
            continue;
        const uint64_t width = static_cast<uint64_t>(ls.expertWidth);
        if (!plan) {
            out.byComponent[Component::RoutedExperts] += static_cast<uint64_t>(ls.numExperts) * 3 * d * width;
            continue;
        }
        const ResolvedLayer& layer = plan->layers.at(i);
        if (layer.blockDropped || layer.moeDropped)
            continue;
        for (int e : layer.experts)
            out.byComponent[Component::RoutedExperts] += expertParameters(d, width, layer, e);
        if (layer.condensed)
            out.condensedWeights += layer.experts.size();
    }
    return out;
}

PlanAccounting accountPlan(const ModelSpec& spec, const Plan& plan)
{
    const ResolvedPlan resolved = resolvePlan(spec, plan);
    PlanAccounting a;
    a.source = planParameters(spec, nullptr);
    a.result = planParameters(spec, &resolved);
    a.resultNonZeros = a.result.total();
    for (const ResolvedLayer& layer : resolved.layers)
        for (const SparsifyMatrix& m : layer.sparsity) {
            const LayerSpec& ls = spec.layers[static_cast<size_t>(m.layer)];
            const int64_t width = m.expert < 0 ? ls.shared.intermediateSize : ls.expertWidth;
            a.resultNonZeros -= static_cast<uint64_t>(int64_t{spec.hiddenSize} * width - m.nonZeros);
        }
    a.sourceBytes = dtypeBytes(spec.dtype, a.source.total()).value_or(0);
    a.resultBytes = dtypeBytes(spec.dtype, a.result.total()).value_or(0);
    return a;
}

} // namespace moewb
