// The objectives of LoRA fine-tuning (lora.h FinetuneObjective), for the training loop
// (lora_train.cpp): their checks, the loss of a micro-batch and the held-out evaluation, which measures
// the same objective (same masking) on fixed windows. Internal to core/train.
#pragma once
#include "core/train/lora.h"

#include <optional>

namespace moewb {

// What a distillation run needs (a teacher, another model, the same vocabulary, T > 0, weight in
// [0, 1]), and no teacher for lm; checked before anything is computed.
void checkObjective(const MoeModel& model, const FinetuneOptions& o);

// The objective on one micro-batch (differentiable in the student's adapters).
torch::Tensor objectiveLoss(const MoeModel& model, const LmBatch& batch, const FinetuneOptions& o);

// One held-out evaluation: perplexity and the training objective on the windows (lm: the mean CE, so
// log perplexity; distill: alpha T^2 KL + (1 - alpha) CE, with its T^2 KL term in `kl`).
struct HeldOutScore {
    double perplexity = 0, objective = 0;
    std::optional<double> kl;
};

// Held-out evaluation on fixed windows [n, seqLen + 1], without gradients (so without adapter
// dropout). For distillation the teacher's logits of the windows are kept after the first call when
// they hold at most 2^26 values (they never change), else recomputed at every call.
class HeldOutEvaluator {
public:
    HeldOutEvaluator(const MoeModel& model, const torch::Tensor& windows, const FinetuneOptions& o);
    HeldOutScore operator()();

private:
    const MoeModel& m_model;
    torch::Tensor m_windows, m_teacher;
    const FinetuneOptions& m_o;
};

} // namespace moewb
