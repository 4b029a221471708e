// Lightweight fine-tuning of CD-MoE's condensed layers (methods.md §3): only the kept routed experts
// and the shared experts of the condensed layers train (full weights, no adapters), with the LM loss
// on a text's token stream, AdamW, linear warm-up then linear decay to 0. Training samples are the
// stream's non-overlapping windows of seqLen + 1 tokens; the tail window is right-padded and the
// padded targets are masked out of the loss (ignore index), so padding never contributes. Every
// other parameter is left untouched (no gradient is taken for it). The result becomes dense deltas
// (plan steps `apply_delta`, trained - original) whose tensors go to the session's tensor store.
#pragma once
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moewb {

class Session;

struct CondenseFinetuneOptions {
    int64_t steps = 50;
    int64_t batchSize = 8, seqLen = 128;
    double lr = 1e-3, weightDecay = 0.0;
    int64_t warmupSteps = 5;  // linear warm-up to lr, then linear decay to 0 at `steps`
    bool sharedExperts = true; // also train the condensed layers' shared experts (methods.md §3)
    uint64_t seed = 0;
};

struct CondenseFinetuneStep {
    int64_t step = 0, steps = 0; // 1-based, after the update
    double loss = 0, lr = 0;     // the step's training loss (before its update)
};

struct CondenseFinetuneResult {
    std::vector<double> losses;            // per step
    std::vector<std::string> parameters;   // the trained tensors (checkpoint names)
    int64_t trainableParameters = 0;
    int64_t windows = 0, paddedTargets = 0; // training windows and masked (padding) targets among them
    double seconds = 0;
    std::map<std::string, torch::Tensor> deltas; // parameter -> trained - original (f32, CPU)
};

// Training samples: the stream's non-overlapping windows of seqLen + 1 tokens, the last partial one
// right-padded with `padId`. inputs [n, seqLen] (long), targets [n, seqLen] (long, -100 = masked).
struct LmWindows {
    torch::Tensor inputs, targets;
};
LmWindows makeLmWindows(const std::vector<int32_t>& ids, int64_t seqLen, int64_t padId);

// Mean next-token cross-entropy (nats) over the unmasked targets.
torch::Tensor maskedLmLoss(const MoeModel& model, const torch::Tensor& inputs, const torch::Tensor& targets,
                           bool withGrad);

// The tensors fine-tuning trains in `layers` (condensed MoE layers of `model`): kept routed experts'
// gate/up/down (factored matrices: their factors, "<name>.A"/".B") and, with `shared`, the shared expert's.
std::vector<std::string> condensedTrainableNames(MoeModel& model, const std::vector<int>& layers, bool shared);

// Trains the condensed layers `layers` of a resident fp32/fp64 `model` (a CD-MoE plan applied) in
// place. `onStep` returning false stops with moewb::Cancelled (the model keeps the weights reached).
CondenseFinetuneResult finetuneCondensed(MoeModel& model, const std::vector<int>& layers,
                                         const std::vector<int32_t>& train, const CondenseFinetuneOptions& options,
                                         const std::function<bool(const CondenseFinetuneStep&)>& onStep = {});

// The deltas as plan steps; tensor names "<prefix>/<parameter>".
std::vector<ApplyDelta> condenseDeltaSteps(const CondenseFinetuneResult& result, const std::string& prefix);

// Stores a fine-tuning of CD-MoE plan `plan` (what `run --method condense` and the GUI both do):
// the plan as it was, as "<name>-no-finetune"; the deltas under planTensorPrefix("deltas", name)
// (refused when another plan keeps its tensors there, see claimTensorFolder), replacing an earlier
// run's; `plan` gains their apply_delta steps and parameters.finetune (the options, `trainPath`, the
// losses). The caller stores `plan` itself.
void storeCondenseFinetune(Session& session, Plan& plan, const CondenseFinetuneResult& result,
                           const CondenseFinetuneOptions& options, const std::string& trainPath);

} // namespace moewb
