#include "core/analysis/fast_loss.h"

#include "core/io/error.h"
#include "core/model/moe_block.h"
#include "core/model/routing.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

namespace moewb {

namespace {

// Dense routing weights [N, E] of a routing (zeros off the selected experts), as float64.
torch::Tensor denseWeights(const Routing& r, int64_t experts)
{
    auto dense = torch::zeros({r.ids.size(0), experts}, torch::TensorOptions(torch::kDouble).device(r.ids.device()));
    return dense.scatter_(1, r.ids, r.weights.to(torch::kDouble));
}

// Used by directLayerLoss; FastLayerLoss::loss builds its mask without per-element tensor writes.
torch::Tensor removedMask(const std::vector<int>& expertIds, const std::vector<int>& removed)
{
    auto mask = torch::zeros({static_cast<int64_t>(expertIds.size())}, torch::kBool);  // host; moved by the caller
    for (int e : removed) {
        auto it = std::find(expertIds.begin(), expertIds.end(), e);
        if (it == expertIds.end())
            fail("expert {} is not in this layer", e);
        mask[it - expertIds.begin()] = true;
    }
    return mask;
}

double batchedNorms(const torch::Tensor& perToken, const std::vector<int64_t>& batchSizes)
{
    // perToken: [N] float64 squared norms; per batch sqrt of the sum, summed.
    if (!batchSizes.empty() && std::all_of(batchSizes.begin(), batchSizes.end(), [&](int64_t n) { return n == batchSizes[0]; }))
        return perToken.view({static_cast<int64_t>(batchSizes.size()), batchSizes[0]}).sum(1).sqrt().sum().item<double>();
    double total = 0.0;
    int64_t offset = 0;
    for (int64_t n : batchSizes) {
        total += std::sqrt(perToken.narrow(0, offset, n).sum().item<double>());
        offset += n;
    }
    return total;
}

} // namespace

FastLayerLoss::FastLayerLoss(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& weights,
                             const LayerCalibration& calibration, int maxRemoved,
                             const std::function<bool(double)>& progress)
    : m_spec(spec), m_topK(layer.topK), m_maxRemoved(maxRemoved), m_expertIds(weights.expertIds),
      m_batchSizes(calibration.batchSizes)
{
    const int64_t E = static_cast<int64_t>(weights.experts.size());
    const int64_t N = calibration.x.size(0);
    if (maxRemoved < 0 || maxRemoved > E - m_topK)
        fail("cannot remove up to {} of {} experts with top-k = {}", maxRemoved, E, m_topK);
    int64_t total = 0;
    for (int64_t n : m_batchSizes)
        total += n;
    if (total != N)
        fail("calibration batches hold {} tokens, the layer input has {}", total, N);

    auto logits = calibration.logits.to(torch::kDouble);
    // Routing is computed in float64 here so the loss matches a float64 forward exactly.
    auto original = route(spec.router, logits, m_topK, torch::kDouble);
    const bool groupLimited = spec.router.topkMethod == TopkMethod::GroupLimitedGreedy && spec.router.nGroup > 1;
    const int64_t c = groupLimited ? E : std::min<int64_t>(E, m_topK + maxRemoved);
    m_candidates = std::get<1>(logits.topk(c, -1, true, true));  // by logit = by probability
    m_origWeights = denseWeights(original, E).gather(1, m_candidates);
    if (groupLimited) {
        m_logits = logits;
    } else {
        m_exp = (logits - std::get<0>(logits.max(1, true))).exp();
        m_candExp = m_exp.gather(1, m_candidates);
        // Summed over the non-candidates themselves (not total minus candidates: no cancellation).
        m_restMass = m_exp.scatter(1, m_candidates, 0.0).sum(1);
    }
    const auto device = logits.device();
    m_slotOf = torch::full({N, E}, int64_t{-1}, torch::TensorOptions(torch::kLong).device(device))
                   .scatter_(1, m_candidates, torch::arange(c, torch::TensorOptions(torch::kLong).device(device))
                                                  .expand({N, c})
                                                  .contiguous());
    for (int id : m_expertIds)
        m_expertIndex.resize(std::max<size_t>(m_expertIndex.size(), static_cast<size_t>(id) + 1), -1);
    for (size_t i = 0; i < m_expertIds.size(); ++i)
        m_expertIndex[static_cast<size_t>(m_expertIds[i])] = static_cast<int64_t>(i);

    // Expert outputs on the tokens that list them as candidates; Gram matrices per token.
    auto x = calibration.x;
    m_gram = torch::zeros({N, c, c}, torch::TensorOptions(torch::kDouble).device(device));
    const int64_t chunk = 2048;
    for (int64_t start = 0; start < N; start += chunk) {
        const int64_t n = std::min(chunk, N - start);
        auto cand = m_candidates.narrow(0, start, n);
        auto xs = x.narrow(0, start, n);
        auto o = torch::zeros({n, c, x.size(1)}, x.options());
        for (int64_t e = 0; e < E; ++e) {
            auto where = (cand == e).nonzero();
            if (where.size(0) == 0)
                continue;
            auto tokens = where.select(1, 0);
            auto slots = where.select(1, 1);
            auto y = weights.experts[static_cast<size_t>(e)](xs.index_select(0, tokens));
            o.index_put_({tokens, slots}, y);
            // Per expert, so a cancel is noticed within one expert's share of a chunk.
            if (progress && !progress((start + double(n) * double(e + 1) / double(E + 1)) / N))
                throw Cancelled();
        }
        auto od = o.to(torch::kDouble);
        m_gram.narrow(0, start, n).copy_(torch::bmm(od, od.transpose(1, 2)));
        if (progress && !progress(double(start + n) / N))
            throw Cancelled();
    }
}

double FastLayerLoss::loss(const std::vector<int>& removed) const
{
    if (static_cast<int>(removed.size()) > m_maxRemoved)
        fail("{} experts removed, the precomputation covers at most {}", removed.size(), m_maxRemoved);
    if (removed.empty())
        return 0.0;
    std::vector<int64_t> indices;
    for (int e : removed) {
        const int64_t index = e >= 0 && static_cast<size_t>(e) < m_expertIndex.size() ? m_expertIndex[static_cast<size_t>(e)] : -1;
        if (index < 0)
            fail("expert {} is not in this layer", e);
        if (std::find(indices.begin(), indices.end(), index) == indices.end())
            indices.push_back(index);
    }
    if (m_exp.defined())
        return restrictedLoss(indices);
    auto flags = torch::zeros({static_cast<int64_t>(m_expertIds.size())}, torch::kBool);
    auto* flag = flags.data_ptr<bool>();
    for (int64_t index : indices)
        flag[index] = true;
    auto pruned = route(m_spec.router, m_logits, m_topK, torch::kDouble, flags.to(m_logits.device()));
    auto slots = m_slotOf.gather(1, pruned.ids);  // [N, k] slots of the selected experts
    // Exactness guard: the pruned routing must stay inside each token's candidates.
    if (slots.min().item<int64_t>() < 0)
        fail("internal error: pruned routing selected an expert outside the precomputed candidates");
    return lossOfWeights(torch::zeros_like(m_origWeights).scatter_(1, slots, pruned.weights.to(torch::kDouble)));
}

double FastLayerLoss::restrictedLoss(const std::vector<int64_t>& removed) const
{
    // route()'s softmax over the survivors, on the candidates: p_i = exp_i / (sum of the kept
    // candidates' exp_i + the non-candidates' mass less the removed ones among them). At most P
    // experts are removed, so the top-k survivors are among each token's k + P candidates.
    const auto device = m_exp.device();
    const auto ids = torch::tensor(removed, torch::kLong).to(device);
    const auto slots = m_slotOf.index_select(1, ids);  // [N, r]: -1 where not a candidate
    const auto inside = slots.ge(0);
    const auto outsideMass = m_exp.index_select(1, ids).masked_fill(inside, 0.0).sum(1, true);
    const auto removedSlots = torch::zeros_like(m_candExp)
                                  .scatter_add_(1, slots.clamp_min(0), inside.to(torch::kDouble))
                                  .gt(0.0);
    const auto kept = m_candExp.masked_fill(removedSlots, 0.0);
    const auto probs = kept / (kept.sum(1, true) + (m_restMass.unsqueeze(1) - outsideMass));
    // A removed candidate scores -1, below every survivor (probabilities are >= 0).
    auto [selected, chosen] = probs.masked_fill(removedSlots, -1.0).topk(m_topK, -1, true, true);
    return lossOfWeights(torch::zeros_like(m_origWeights)
                             .scatter_(1, chosen, weightSelected(m_spec.router, selected, m_topK)));
}

double FastLayerLoss::lossOfWeights(const torch::Tensor& newWeights) const
{
    auto delta = m_origWeights - newWeights;  // [N, c]
    // delta^T G delta per token, elementwise (a batched matmul of tiny c x c matrices is slower).
    auto quad = ((m_gram * delta.unsqueeze(1)).sum(2) * delta).sum(1);
    return batchedNorms(quad.clamp_min(0.0), m_batchSizes);
}

double directLayerLoss(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& weights,
                       const LayerCalibration& calibration, const std::vector<int>& removed)
{
    torch::NoGradGuard noGrad;
    auto full = moeForward(spec, layer, weights, calibration.x);
    auto pruned = moeForward(spec, layer, weights, calibration.x,
                             removedMask(weights.expertIds, removed).to(calibration.x.device()));
    auto perToken = (full - pruned).to(torch::kDouble).pow(2).sum(-1);
    return batchedNorms(perToken, calibration.batchSizes);
}

} // namespace moewb
