// Expert Slimming by pruning (methods.md §2, seed 001): Wanda or SparseGPT inside every routed expert
// (and optionally the shared expert MLP), each expert calibrated only on the tokens routed to it.
// Router, attention, norms and dense MLP layers are left alone.
//
// The pass walks the decoder layers in order: layer l's MoE input comes from the output of the
// already-slimmed layers 0..l-1, all three matrices of every expert of layer l are pruned from that
// input (gate and up see the routed tokens x; down sees silu(gate x) * up x of the unpruned expert, as
// the reference hooks do), and the slimmed layer's output feeds layer l+1.
//
// The result is a plan of SparsifyMatrix steps (u8 masks, 1 = kept) and, for SparseGPT, which also
// moves the surviving weights, an ApplyDelta step per matrix right after its mask: a dense f32 delta
// D = W' - W that is zero where the mask drops, so W * mask + D = W'. Tensors are handed to a callback
// (the session's tensor store) as they are made, so only one layer's are alive at a time.
// A model with a plan applied (pruned, factored ...) is slimmed as it is: factored matrices and
// matrices already masked are skipped and reported; compose the plans with composePlans.
#pragma once
#include "core/compress/sparsity.h"
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <functional>
#include <string>
#include <vector>

namespace moewb {

enum class SlimMethod { Wanda, SparseGpt };
std::string slimMethodName(SlimMethod method); // "wanda" / "sparsegpt"

struct SlimmingOptions {
    SlimMethod method = SlimMethod::Wanda;
    SparsityPattern pattern;          // unstructured with a sparsity, or N:M
    bool sharedExperts = false;       // also prune the shared expert MLP (on every token)
    SparseGptOptions sparseGpt;       // block size, damping
    int64_t batchTokens = 2048;       // tokens through a layer at once (whole blocks)
    // Tensor names are "masks/<tensorPrefix>/layer03/expert05/gate" and "deltas/<tensorPrefix>/...";
    // "shared" in place of "expert05" for the shared MLP. Empty: "<method>-<pattern>-<sparsity>".
    std::string tensorPrefix; // `moe-compress run` and the GUI: slimmingTensorPrefix(plan name)
    std::vector<std::string> existingMasks; // (layer, expert, matrix) keys already masked: see maskKey
    std::function<bool(double)> progress;
};

// The tensorPrefix of a plan named `planName`: the name with characters other than [A-Za-z0-9._-]
// replaced by '-'.
std::string slimmingTensorPrefix(const std::string& planName);

// Key of one matrix, "layer03/expert05/gate" / "layer03/shared/down".
std::string maskKey(int layer, int expert, Proj matrix);

struct SlimmingResult {
    Plan plan;                          // method "wanda" / "sparsegpt"
    int64_t matrices = 0;               // matrices pruned
    int64_t weights = 0, keptWeights = 0; // over those matrices
    int64_t expertsWithoutTokens = 0;   // routed experts no calibration token reached (magnitude)
    std::vector<std::string> skipped;   // "layer03/expert05/gate: factored" ...
};

using TensorSink = std::function<void(const std::string& name, const torch::Tensor& tensor)>;

// Slims `model` on `blocks` [n, s]; `sink` receives every mask (u8, CPU) and delta (f32, CPU).
SlimmingResult slimExperts(const MoeModel& model, const torch::Tensor& blocks, const SlimmingOptions& options,
                           const TensorSink& sink);

} // namespace moewb
