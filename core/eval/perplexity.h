// Perplexity over non-overlapping windows (methods.md 4): every block [s] is scored on its own; each
// position t < s-1 predicts token t+1, so a window contributes s-1 predictions; perplexity is exp of
// the mean loss over all of them. Cut the stream with makeBlocks(..., BlockSelection::Sequential).
#pragma once
#include "core/eval/eval_types.h"

namespace moewb {

// blocks: [n, s] int64. Throws moewb::Cancelled when options.progress returns false.
PerplexityResult perplexity(
    const LogitsFn& model, const torch::Tensor& blocks, const EvalOptions& options = {});

} // namespace moewb
