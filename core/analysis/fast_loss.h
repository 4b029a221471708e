// Exact fast reconstruction loss of a MoE layer with experts removed (MoE-I² §1.1, performance.md
// idea 2). For a removal set S the block output changes by Delta_t = sum_e (w_te - w'_te) o_te,
// where w' is the model's own routing with S masked to -inf in place. With the per-token Gram
// matrix G_t = O_t O_t^T over the token's candidate experts, ||Delta_t||^2 = delta^T G_t delta.
// Candidates are the token's top-(k+P) experts when removing at most P experts cannot reach past
// them (softmax routers, greedy top-k), else all experts (group-limited routing shifts groups).
// Shared experts cancel in the difference. loss(S) = sum over batches of sqrt(sum_t ||Delta_t||^2),
// accumulated in float64.
// With top-(k+P) candidates the pruned routing is computed on them alone: the softmax denominator is
// their exponentials plus the token's other experts' mass (one number per token, less any removed
// expert outside the candidates), so an evaluation costs O(N (k+P)) instead of O(N E) (Qwen1.5: 19
// of 60 experts a token). Group-limited routing routes over all experts with route().
#pragma once
#include "core/io/model_spec.h"
#include "core/model/layer_weights.h"

#include <functional>
#include <vector>

namespace moewb {

struct LayerCalibration {
    torch::Tensor x;       // [N, d] MoE block input (post-attention-normed hidden states)
    torch::Tensor logits;  // [N, E_kept] router logits as the model computes them
    std::vector<int64_t> batchSizes;  // tokens per calibration sequence (sums to N)
};

class FastLayerLoss {
public:
    // Precomputes expert outputs on each token's candidates and their Gram matrices (the cost:
    // about (k+P)/k forwards of the layer's experts). `maxRemoved` = P, the largest set evaluated.
    FastLayerLoss(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& weights,
                  const LayerCalibration& calibration, int maxRemoved,
                  const std::function<bool(double)>& progress = {});

    // Loss of removing `removed` (original expert ids; at most maxRemoved of them).
    double loss(const std::vector<int>& removed) const;
    int maxRemoved() const { return m_maxRemoved; }
    int experts() const { return static_cast<int>(m_expertIds.size()); }
    int candidatesPerToken() const { return static_cast<int>(m_candidates.size(1)); }
    bool exhaustiveCandidates() const { return candidatesPerToken() == experts(); }

private:
    const ModelSpec& m_spec;
    int m_topK = 0;
    int m_maxRemoved = 0;
    std::vector<int> m_expertIds;
    std::vector<int64_t> m_batchSizes;
    double restrictedLoss(const std::vector<int64_t>& removed) const;
    double lossOfWeights(const torch::Tensor& newWeights) const; // newWeights [N, c]

    torch::Tensor m_logits;      // [N, E] (float64); group-limited routing only
    torch::Tensor m_exp;         // [N, E] float64 exp(logit - the token's max logit); top-(k+P) only
    torch::Tensor m_candExp;     // [N, c] m_exp on the candidates
    torch::Tensor m_restMass;    // [N] m_exp summed over the experts that are not candidates
    torch::Tensor m_candidates;  // [N, c] int64 kept-expert indices
    torch::Tensor m_gram;        // [N, c, c] float64
    torch::Tensor m_origWeights; // [N, c] float64 routing weights of the unpruned layer
    torch::Tensor m_slotOf;      // [N, E] int64: each expert's slot among the token's candidates, -1 if none
    std::vector<int64_t> m_expertIndex;  // original id -> kept-expert index (-1: not in this layer)
};

// The same loss computed the slow way: the real MoE block with the experts masked in place.
double directLayerLoss(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& weights,
                       const LayerCalibration& calibration, const std::vector<int>& removed);

} // namespace moewb
