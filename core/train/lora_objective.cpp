// The objectives of LoRA fine-tuning and their held-out evaluation (lora_objective.h).
#include "core/train/lora_objective.h"

#include "core/io/error.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>

namespace moewb {

namespace {

torch::Tensor teacherLogits(const FinetuneOptions& o, const torch::Tensor& inputs)
{
    torch::NoGradGuard noGrad;
    return o.teacher->forward(inputs).logits; // on the teacher's device; the loss moves it
}

// The distillation objective and its terms over the positions `targets` counts (training and held-out
// evaluation alike). ce is computed only when the loss needs it or `withCe`.
struct DistillTerms {
    torch::Tensor kl, ce, loss;
};

DistillTerms distillTerms(const torch::Tensor& logits, const torch::Tensor& teacher, const torch::Tensor& targets,
                          const FinetuneOptions& o, bool withCe)
{
    DistillTerms t;
    t.kl = maskedDistillLoss(logits, teacher, targets, o.temperature);
    t.loss = t.kl * o.distillWeight;
    if (withCe || o.distillWeight < 1)
        t.ce = maskedLmLoss(logits, targets);
    if (o.distillWeight < 1)
        t.loss = t.loss + t.ce * (1 - o.distillWeight);
    return t;
}

} // namespace

const char* objectiveName(FinetuneObjective objective)
{
    return objective == FinetuneObjective::Distill ? "distill" : "lm";
}

FinetuneObjective parseObjective(const std::string& name)
{
    if (name == "lm")
        return FinetuneObjective::Lm;
    if (name == "distill")
        return FinetuneObjective::Distill;
    fail("fine-tuning: unknown objective '{}' (lm, distill)", name);
}

void checkObjective(const MoeModel& model, const FinetuneOptions& o)
{
    if (o.objective == FinetuneObjective::Lm) {
        if (o.teacher)
            fail("fine-tuning: a teacher model is only used by the distillation objective (objective is lm)");
        return;
    }
    if (!o.teacher)
        fail("fine-tuning: the distillation objective needs a teacher model (the original, uncompressed model)");
    if (o.teacher == &model)
        fail("fine-tuning: the teacher must be another model than the one being fine-tuned");
    if (o.teacher->spec().vocabSize != model.spec().vocabSize)
        fail("fine-tuning: the teacher's vocabulary ({} tokens) differs from the student's ({} tokens)",
             o.teacher->spec().vocabSize, model.spec().vocabSize);
    if (!(o.temperature > 0))
        fail("fine-tuning: the distillation temperature must be positive (got {})", o.temperature);
    if (!(o.distillWeight >= 0 && o.distillWeight <= 1))
        fail("fine-tuning: the distillation weight must lie in [0, 1] (got {})", o.distillWeight);
}

torch::Tensor objectiveLoss(const MoeModel& model, const LmBatch& batch, const FinetuneOptions& o)
{
    torch::Tensor teacher;
    if (o.objective == FinetuneObjective::Distill)
        teacher = teacherLogits(o, batch.inputs);
    ForwardOptions fo;
    fo.enableGrad = true;
    auto logits = model.forward(batch.inputs, {}, fo).logits;
    if (o.objective == FinetuneObjective::Lm)
        return maskedLmLoss(logits, batch.targets);
    return distillTerms(logits, teacher, batch.targets, o, false).loss;
}

HeldOutEvaluator::HeldOutEvaluator(const MoeModel& model, const torch::Tensor& windows, const FinetuneOptions& o)
    : m_model(model), m_windows(windows), m_o(o)
{
}

HeldOutScore HeldOutEvaluator::operator()()
{
    torch::NoGradGuard guard; // and no adapter dropout
    if (m_o.objective == FinetuneObjective::Lm) {
        const double ce = lmLoss(m_model, m_windows, false); // exactly what held-out perplexity always was
        return {std::exp(ce), ce, std::nullopt};
    }
    const LmBatch batch = windowBatch(m_windows);
    torch::Tensor teacher = m_teacher;
    if (!teacher.defined()) {
        teacher = teacherLogits(m_o, batch.inputs);
        if (teacher.numel() <= (int64_t{1} << 26))
            m_teacher = teacher;
    }
    const auto t = distillTerms(m_model.forward(batch.inputs).logits, teacher, batch.targets, m_o, true);
    return {std::exp(t.ce.item<double>()), t.loss.item<double>(), t.kl.item<double>()};
}

nlohmann::json heldOutSelection(const FinetuneResult& result, FinetuneObjective objective)
{
    if (objective != FinetuneObjective::Distill || result.heldOut.empty()
        || result.heldOutKl.size() != result.heldOut.size())
        return nlohmann::json::object();
    for (size_t i = 0; i < result.heldOut.size(); ++i)
        if (result.heldOut[i].first == result.bestStep)
            return {{"selected_by", "distillation objective"}, {"best_held_out_perplexity", result.bestPerplexity},
                {"best_held_out_objective", result.bestObjective}, {"best_held_out_kl", result.heldOutKl[i]}};
    fail("fine-tuning: the kept step {} was not evaluated", result.bestStep);
}

} // namespace moewb
