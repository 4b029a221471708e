// Router rules of every supported architecture, in one place: the forward pass, the fast loss and
// the methods all route through here so they agree with the reference.
#pragma once
#include "core/io/model_spec.h"

#include <torch/types.h>

namespace moewb {

struct Routing {
    torch::Tensor ids;      // [N, k] int64, indices into the block's kept experts
    torch::Tensor weights;  // [N, k]; fp32 when the rule combines in fp32, else the hidden dtype
    torch::Tensor probs;    // [N, E] routing probabilities (fp32 or model dtype as the rule computes)
};

// Router logits as the reference computes them: in the hidden dtype, or fp32 for DeepSeek-V2.
torch::Tensor routerLogits(const RouterSpec& rule, const torch::Tensor& x, const torch::Tensor& router);

// Routes N tokens given their logits [N, E]. `removed` (bool [E], optional) masks experts in place
// with -inf before the softmax, so the model's own weighting rule applies to the survivors.
Routing route(const RouterSpec& rule, const torch::Tensor& logits, int topK, torch::ScalarType hiddenType,
              const torch::Tensor& removed = {});

// The rule's weighting of the selected experts' probabilities [N, k] (renormalised to sum to 1, or
// scaled by routed_scaling_factor), as route applies it; in the dtype of `selected`.
torch::Tensor weightSelected(const RouterSpec& rule, const torch::Tensor& selected, int topK);

} // namespace moewb
