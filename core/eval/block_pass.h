// Internal: one pass of a model over blocks [n, s] in batches, handing each batch's next-token
// log-probabilities to the metric, and the running next-token loss. Shared by perplexity and KL.
#pragma once
#include "core/eval/eval_types.h"

#include <functional>

namespace moewb::eval_detail {

// body(first row, log-probabilities [B, s, V] float32 on the model's device) for each batch.
// Progress runs from lo to hi over the pass. The stats cover the pass (the body's work included).
RunStats runBlocks(const LogitsFn& model, const torch::Tensor& blocks, const EvalOptions& options, double lo,
    double hi, const std::function<void(int64_t, const torch::Tensor&)>& body);

struct NllSum {
    std::string model; // EvalOptions::model, for the error below
    double sum = 0;
    int64_t count = 0;
    // Adds -log p(ids[:, t+1] | ids[:, ..t]) for t = 0 .. s-2; fails (naming `model`) as soon as the
    // sum is not finite: NaN or infinite logits.
    void add(const torch::Tensor& logProbs, const torch::Tensor& ids);
    PerplexityResult result(const torch::Tensor& blocks, const RunStats& run) const;
};

} // namespace moewb::eval_detail
