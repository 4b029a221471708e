// KL divergence of a candidate model's next-token distributions from a reference model's on the same
// blocks (methods.md 4): mean over every position of KL(P_ref || P_cand), in nats. The reference runs
// first and its distributions are kept (all of them, or only the top K with the remaining mass as one
// bucket, to bound memory), then the candidate runs alone: each stage's time and working set belong
// to one model, and a captured reference can be reused for many candidates.
#pragma once
#include "core/eval/eval_types.h"

namespace moewb {

struct ReferenceDistribution {
    int64_t topK = 0; // 0: full distributions
    torch::Tensor logProbs; // [n, s, V] (full) or [n, s, K] (top K, descending), float32, CPU
    torch::Tensor ids; // [n, s, K] int64 token ids of the top K (top-K only)
    torch::Tensor logRest; // [n, s] log of the mass outside the top K, -inf when none (top-K only)
    torch::Tensor blocks; // [n, s] the blocks it was captured on
    PerplexityResult perplexity; // of the reference on those blocks (run: the capture stage)

    int64_t bytes() const; // memory held by the captured distributions
};

// Bytes a capture of n x s positions over vocabulary V will hold (to refuse a too-large exact one).
int64_t referenceBytes(int64_t n, int64_t s, int64_t vocab, int64_t topK);

// topK = 0 keeps full distributions; topK >= V is the same as 0.
ReferenceDistribution captureReference(
    const LogitsFn& reference, const torch::Tensor& blocks, int64_t topK, const EvalOptions& options = {});

// KL(reference || candidate) on the reference's blocks; result.reference/candidate hold both perplexities.
KlResult compareWithReference(
    const ReferenceDistribution& reference, const LogitsFn& candidate, const EvalOptions& options = {});

// captureReference then compareWithReference (progress: first half, second half).
KlResult klDivergence(const LogitsFn& reference, const LogitsFn& candidate, const torch::Tensor& blocks,
    int64_t topK = 0, const EvalOptions& options = {});

} // namespace moewb
