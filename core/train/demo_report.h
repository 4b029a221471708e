// What issue #8's bars measure on a trained demo model: a bigram baseline on the same tokenisation and
// the routing statistics that show routing carries information (no dead experts, confident routers).
#pragma once
#include "core/model/moe_model.h"

#include <cstdint>
#include <vector>

namespace moewb {

struct BigramResult {
    double lambda = 0;          // interpolation weight picked on the validation stream
    double validPerplexity = 0;
    double testPerplexity = 0;
};

// Interpolated bigram: P(w|v) = lambda * c(v,w)/c(v) + (1 - lambda) * (c(w)+1)/(N+V), counts from
// `train`; lambda from a 0.05 grid minimising validation perplexity. Perplexities are scored on the
// same predictions as perplexity(): windows of `window` tokens, each token after a window's first
// conditioned on its predecessor.
BigramResult bigramBaseline(const std::vector<int32_t>& train, const std::vector<int32_t>& valid,
                            const std::vector<int32_t>& test, int64_t vocab, int64_t window);

struct LayerRouting {
    int layer = 0;
    int experts = 0;
    int topK = 0;
    double meanEntropy = 0;       // mean over tokens of the router softmax's entropy, nats
    double entropyRatio = 0;      // meanEntropy / log(experts)
    double minShare = 0, maxShare = 0; // share of top-k assignments of the least / most used expert
    std::vector<double> share;    // per expert, sums to 1
};

// Routing of every MoE layer over token blocks [n, s].
std::vector<LayerRouting> routingReport(const MoeModel& model, const torch::Tensor& blocks, int64_t batchRows = 8);

} // namespace moewb
