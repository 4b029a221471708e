#include "core/model/moe_block.h"

#include <torch/torch.h>

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
        auto routing = route(spec.router, logits, topK, x.scalar_type(), removed);
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
