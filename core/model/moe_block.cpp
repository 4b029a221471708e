#include "core/model/moe_block.h"

#include <torch/types.h>

namespace moewb {

torch::Tensor combineExperts(const ModelSpec& spec, const MoeWeights& w, const torch::Tensor& x, const Routing& routing)
{
    const bool fp32Combine = spec.router.combineFp32 && x.scalar_type() != torch::kDouble;
    auto out = torch::zeros({x.size(0), x.size(1)}, x.options().dtype(fp32Combine ? torch::kFloat : x.scalar_type()));
    const int64_t experts = static_cast<int64_t>(w.experts.size());
    // One pass over the experts that received tokens, as the reference loops do.
    auto flatIds = routing.ids.reshape({-1});
    auto hit = torch::bincount(flatIds, {}, experts);
    auto hitAcc = hit.accessor<int64_t, 1>();
    for (int64_t e = 0; e < experts; ++e) {
        if (hitAcc[e] == 0)
            continue;
        auto where = (routing.ids == e).nonzero();  // [M, 2]: token, slot
        auto tokens = where.select(1, 0);
        auto slots = where.select(1, 1);
        auto y = w.experts[static_cast<size_t>(e)](x.index_select(0, tokens));
        auto weight = routing.weights.index({tokens, slots}).unsqueeze(-1);
        if (fp32Combine)
            out.index_add_(0, tokens, y.to(torch::kFloat) * weight);
        else
            out.index_add_(0, tokens, y * weight.to(y.scalar_type()));
    }
    return out.to(x.scalar_type());
}

Routing routePruned(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& w, const torch::Tensor& logits,
                    int topK, torch::ScalarType hiddenType, const torch::Tensor& removed)
{
    const auto& rule = spec.router;
    const int64_t kept = static_cast<int64_t>(w.expertIds.size());
    const bool grouped = rule.topkMethod == TopkMethod::GroupLimitedGreedy && rule.nGroup > 1;
    if (!grouped || kept == layer.numExperts)
        return route(rule, logits, topK, hiddenType, removed);
    // Group-limited routing needs the source layout: the kept experts' logits go back to their
    // source positions, the removed ones are masked, and the chosen ids map back to kept positions.
    const int64_t n = logits.size(0), total = layer.numExperts;
    auto index = torch::tensor(std::vector<int64_t>(w.expertIds.begin(), w.expertIds.end()), torch::kLong)
                     .to(logits.device());
    auto full = torch::zeros({n, total}, logits.options()).index_copy_(1, index, logits);
    auto gone = torch::ones({total}, torch::TensorOptions().dtype(torch::kBool).device(logits.device()));
    gone.index_fill_(0, index, false);
    if (removed.defined())
        gone.index_copy_(0, index, removed.to(torch::kBool).to(logits.device()));
    Routing r = route(rule, full, topK, hiddenType, gone);
    auto position = torch::zeros({total}, torch::TensorOptions().dtype(torch::kLong).device(logits.device()));
    position.index_copy_(0, index, torch::arange(kept, position.options()));
    // A removed expert can only be chosen with probability 0 (fewer survivors than top-k in the
    // chosen groups); it maps to position 0 with weight 0.
    r.ids = position.index_select(0, r.ids.reshape({-1})).view_as(r.ids);
    r.probs = r.probs.index_select(1, index);
    return r;
}

torch::Tensor sharedForward(const MoeWeights& w, const torch::Tensor& x)
{
    auto y = (*w.shared)(x);
    if (w.sharedGate.defined())
        y = torch::sigmoid(torch::linear(x, w.sharedGate)) * y;
    return y;
}

torch::Tensor moeForward(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& w, const torch::Tensor& x,
                         const torch::Tensor& removed, MoeTrace* trace)
{
    torch::Tensor out;
    if (w.condensed) {
        out = torch::zeros_like(x);
        for (size_t i = 0; i < w.experts.size(); ++i)
            out = out + w.experts[i](x) * w.condensedWeights[i];
    } else {
        auto logits = routerLogits(spec.router, x, w.router);
        const int topK = std::min<int>(layer.topK, static_cast<int>(w.experts.size()));
        auto routing = routePruned(spec, layer, w, logits, topK, x.scalar_type(), removed);
        out = combineExperts(spec, w, x, routing);
        if (trace) {
            trace->logits = logits;
            trace->routing = routing;
        }
    }
    if (w.shared)
        out = out + sharedForward(w, x);
    return out;
}

} // namespace moewb
