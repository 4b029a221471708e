// The MoE block: router, routed experts, shared expert(s); also condensed blocks (CD-MoE).
#pragma once
#include "core/io/model_spec.h"
#include "core/model/layer_weights.h"
#include "core/model/routing.h"

namespace moewb {

struct MoeTrace {
    torch::Tensor logits;  // router logits [N, E_kept]
    Routing routing;
};

// x: normed hidden states [N, d] -> block output [N, d] (routed + shared).
// `removed` (bool [E_kept]) masks experts in place; `trace` receives logits and routing.
torch::Tensor moeForward(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& w, const torch::Tensor& x,
                         const torch::Tensor& removed = {}, MoeTrace* trace = nullptr);

// Routed part only, for a given routing (used by the fast-loss equivalence checks and the methods).
torch::Tensor combineExperts(const ModelSpec& spec, const MoeWeights& w, const torch::Tensor& x, const Routing& routing);

// route() for a block whose experts may have been removed: group-limited routers (DeepSeek-V2) are
// evaluated in the source layout so groups keep their members.
Routing routePruned(const ModelSpec& spec, const LayerSpec& layer, const MoeWeights& w, const torch::Tensor& logits,
                    int topK, torch::ScalarType hiddenType, const torch::Tensor& removed = {});

torch::Tensor sharedForward(const MoeWeights& w, const torch::Tensor& x);

} // namespace moewb
