#include "core/model/routing.h"

#include "core/io/error.h"

#include <torch/types.h>
#include <limits>

namespace moewb {

torch::Tensor routerLogits(const RouterSpec& rule, const torch::Tensor& x, const torch::Tensor& router)
{
    if (rule.combineFp32 && x.scalar_type() != torch::kDouble)  // DeepSeek-V2 gate runs in fp32
        return torch::linear(x.to(torch::kFloat), router.to(torch::kFloat));
    return torch::linear(x, router);
}

Routing route(const RouterSpec& rule, const torch::Tensor& logitsIn, int topK, torch::ScalarType hiddenType,
              const torch::Tensor& removed)
{
    const int64_t experts = logitsIn.size(-1);
    auto logits = logitsIn;
    if (removed.defined()) {
        const int64_t kept = experts - removed.to(torch::kInt64).sum().item<int64_t>();
        if (kept < topK)
            fail("removing these experts leaves {} of {} experts, fewer than top-k = {}", kept, experts, topK);
        logits = logits.masked_fill(removed.to(logits.device()).view({1, experts}),
                                    -std::numeric_limits<double>::infinity());
    }
    const bool highPrecision = logits.scalar_type() == torch::kDouble;
    Routing r;
    if (rule.softmaxFp32 || highPrecision)
        r.probs = torch::softmax(logits, -1, highPrecision ? torch::kDouble : torch::kFloat);
    else
        r.probs = torch::softmax(logits, -1);  // DeepSeekMoE-16B: in the model dtype

    torch::Tensor scores = r.probs;
    if (rule.topkMethod == TopkMethod::GroupLimitedGreedy && rule.nGroup > 1) {
        const int64_t n = scores.size(0);
        auto groupScores = scores.view({n, rule.nGroup, -1}).amax(-1);  // [N, groups]
        auto groupIdx = std::get<1>(groupScores.topk(rule.topkGroup, -1, true, false));
        auto groupMask = torch::zeros_like(groupScores).scatter_(1, groupIdx, 1.0);
        auto scoreMask = groupMask.unsqueeze(-1).expand({n, rule.nGroup, experts / rule.nGroup}).reshape({n, experts});
        scores = scores.masked_fill(scoreMask.logical_not(), 0.0);
    }
    auto [selected, ids] = scores.topk(topK, -1, true, true);
    const auto weights = weightSelected(rule, selected, topK);
    r.ids = ids;
    r.weights = (rule.combineFp32 || highPrecision) ? weights : weights.to(hiddenType);
    return r;
}

torch::Tensor weightSelected(const RouterSpec& rule, const torch::Tensor& selected, int topK)
{
    if (rule.normTopkProb && topK > 1) {
        // DeepSeek adds 1e-20 to the denominator; Mixtral/Qwen do not. The difference is below fp32.
        if (rule.combineFp32 || !rule.softmaxFp32)
            return selected / (selected.sum(-1, true) + 1e-20);
        return selected / selected.sum(-1, true);
    }
    if (rule.routedScalingFactor != 1.0)
        return selected * rule.routedScalingFactor;
    return selected;
}

} // namespace moewb
