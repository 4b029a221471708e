// Recovery fine-tuning with LoRA (MoE-I² stage 3, methods.md 1.6): low-rank adapters on the attention
// and expert matrices of a compressed model (factored experts get one adapter per factor, so merging
// keeps every shape), trained with AdamW (linear warm-up, then linear decay) on a text file, with
// gradient accumulation, held-out evaluation at intervals and early stopping on the held-out value of
// the training objective (lm: perplexity; distill: the distillation objective). Only the adapters
// train; every other weight is untouched (no gradient is ever taken for it). The result is a list of
// low-rank deltas (plan steps `apply_delta`, kind low_rank) whose tensors go to the session.
#pragma once
#include "core/model/moe_model.h"
#include "core/plan/plan.h"
#include "core/train/lora_data.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moewb {

struct LoraOptions {
    int rank = 8;
    double alpha = 16.0;   // scale = alpha / rank
    double dropout = 0.05;
    bool attention = true, experts = true, shared = true, dense = false;
    uint64_t seed = 0;
};

struct LoraAdapter {
    std::string parameter; // what it changes: a weight name, or "<weight>.A" / ".B" for a factor
    torch::Tensor down;    // [r, in]  (PEFT's lora_A), Kaiming-uniform initialised
    torch::Tensor up;      // [out, r] (PEFT's lora_B), zero initialised: the model starts unchanged
    double scale = 1.0;
    double dropout = 0.0;  // on the adapter's input while training (PEFT's lora_dropout)
};

// Attaches adapters to every targeted linear of a resident model (fp32 or fp64) and returns them.
// The model computes with them from now on.
std::vector<LoraAdapter> attachLora(MoeModel& model, const LoraOptions& options);
// Removes every adapter from the model.
void detachLora(MoeModel& model);

// The adapters as plan steps; their tensors are named "<prefix>/<parameter>/B" and ".../A".
std::vector<ApplyDelta> loraDeltas(const std::vector<LoraAdapter>& adapters, const std::string& prefix);
std::map<std::string, torch::Tensor> loraTensors(const std::vector<LoraAdapter>& adapters, const std::string& prefix);

// What the adapters are trained to minimise. Lm: next-token cross-entropy on the training data.
// Distill (knowledge distillation from the original model): per position that counts in the
// cross-entropy, alpha T^2 KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) CE.
enum class FinetuneObjective { Lm, Distill };
// "lm" / "distill"; parseObjective throws moewb::Error for anything else.
const char* objectiveName(FinetuneObjective objective);
FinetuneObjective parseObjective(const std::string& name);

struct FinetuneOptions {
    int64_t steps = 200;
    int64_t batchSize = 8, seqLen = 128, accumulation = 1; // sequences per micro-batch, micro-batches per step
    double lr = 1e-3, weightDecay = 0.0;
    int64_t warmupSteps = 10;  // then linear decay to 0 at `steps`
    int64_t evalEvery = 25, evalBlocks = 16;
    int patience = 3;          // stop after this many evaluations without a new best (0: never); the best adapters are kept
    uint64_t seed = 0;
    // Checkpoint/resume (lora_train.cpp): every checkpointEvery steps (0: never), when cancelled and at
    // the end, the adapters, the AdamW state, the step, the random state and the results so far go to
    // `checkpoint` (one file, written atomically). With `resume` an existing checkpoint of a run with
    // the same settings and adapters is continued: the result equals an uninterrupted run's.
    // With checkpointWhenDone false a finished (or early-stopped) run writes no checkpoint: only a
    // cancelled one does (and every checkpointEvery steps), so that stopping never loses the steps done.
    std::filesystem::path checkpoint;
    int64_t checkpointEvery = 0;
    bool resume = false;
    bool checkpointWhenDone = true;
    // The objective (see FinetuneObjective). Distill needs `teacher`: the original model (no plan, no
    // adapters, the same vocabulary), run without gradients on its own device for every micro-batch;
    // its logits move to the student's device. Lm needs teacher == nullptr. Held-out evaluation
    // measures perplexity and, for Distill, the held-out distillation objective (the same loss over the
    // evaluation windows; the teacher runs on them without gradients, its logits computed once when
    // they fit in 2^26 values, else at every evaluation). The best adapters and early stopping follow
    // the held-out value of the training objective: perplexity for Lm (mean CE = log perplexity), the
    // distillation objective for Distill. temperature > 0, distillWeight in [0, 1].
    FinetuneObjective objective = FinetuneObjective::Lm;
    double temperature = 1.0, distillWeight = 1.0;
    const MoeModel* teacher = nullptr;
};

// What finetuneLora trains on: a token stream (random windows of seqLen + 1 tokens, every token
// counts) or, when `pairs` is not empty, instruction pairs (batchSize random examples a micro-batch,
// right-padded, loss on the response tokens only, cut to seqLen + 1 tokens).
struct LoraTrainData {
    std::vector<int32_t> text;
    std::vector<InstructionExample> pairs;
    int64_t padId = 0;
};

struct FinetuneReport {
    int64_t step = 0, steps = 0;
    double loss = 0, lr = 0; // loss: the objective's (distillation: the weighted sum)
    std::optional<double> heldOutPerplexity;
    // At an evaluation: the held-out value of the training objective (lm: mean CE = log perplexity;
    // distill: alpha T^2 KL + (1 - alpha) CE) and, for distill, its T^2 KL term (at T = 1 the KL).
    std::optional<double> heldOutObjective, heldOutKl;
    // A step of the checkpoint being resumed, reported again before training continues (its loss, lr
    // and evaluation as the interrupted run reported them); false for a step trained now.
    bool restored = false;
};

struct FinetuneResult {
    std::vector<double> losses;                            // per step
    std::vector<std::pair<int64_t, double>> heldOut;       // (step, perplexity); step 0 = before training
    std::vector<double> heldOutObjective; // per evaluation, as heldOut: the training objective on the held-out windows
    std::vector<double> heldOutKl;        // per evaluation (distill; empty for lm): T^2 KL(teacher || student)
    int64_t steps = 0;
    bool earlyStopped = false;
    int64_t bestStep = 0;      // the evaluation of the lowest held-out objective (first of equals): the kept adapters
    double bestPerplexity = 0; // held-out perplexity at bestStep
    double bestObjective = 0;  // held-out objective at bestStep (lm: log bestPerplexity)
    double seconds = 0;
    int64_t resumedFromStep = 0; // 0: started fresh
};

// For a recovered plan's "lora" parameters (the CLI's finetune and the GUI's Recover write the same):
// after a distillation run with held-out evaluations, what picked best_step and its held-out values
// {selected_by, best_held_out_perplexity, best_held_out_objective, best_held_out_kl}; otherwise an
// empty object (a perplexity-selected run records best_step alone, as before).
nlohmann::json heldOutSelection(const FinetuneResult& result, FinetuneObjective objective);

// Mean next-token cross-entropy (nats) of the model on windows of seqLen+1 tokens [n, seqLen+1].
double lmLoss(const MoeModel& model, const torch::Tensor& windows, bool withGrad);

// Trains `adapters` (attached to `model`) on random windows of `train`; held-out evaluation on the
// first evalBlocks windows of `heldOut` (consecutive windows of seqLen + 1 tokens from its start when
// it holds that many; empty: no evaluation, no early stop). `onStep` returning
// false stops (moewb::Cancelled after restoring the best adapters). A resumed run first reports the
// steps its checkpoint holds, in order, with FinetuneReport::restored set (the evaluation before
// training, step 0, is not a step: it is in the result's heldOut, as for a fresh run).
FinetuneResult finetuneLora(MoeModel& model, std::vector<LoraAdapter>& adapters, const std::vector<int32_t>& train,
                            const std::vector<int32_t>& heldOut, const FinetuneOptions& options,
                            const std::function<bool(const FinetuneReport&)>& onStep = {});
// The same on text or instruction pairs, with checkpoint/resume (options.checkpoint).
FinetuneResult finetuneLora(MoeModel& model, std::vector<LoraAdapter>& adapters, const LoraTrainData& train,
                            const std::vector<int32_t>& heldOut, const FinetuneOptions& options,
                            const std::function<bool(const FinetuneReport&)>& onStep = {});

} // namespace moewb
