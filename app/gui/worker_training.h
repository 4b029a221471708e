// The start the worker's two fine-tunings share (Run ▸ Recover's LoRA in worker_recover.cpp, CD-MoE's
// condensed experts in worker_methods.cpp): a copy of the open model on the chosen device with the
// plan applied (and without it, Recover's distillation teacher), and the model's tokenizer for the training text. Internal to app/gui; the stages and
// their names stay with WorkerCore.
#pragma once
#include "core/model/moe_model.h"
#include "core/plan/apply.h"

#include <filesystem>
#include <memory>

namespace moewb::gui {

// A resident fp32 copy of `open` (the model's folder read again) on `device` ("cpu", "cuda:N"): with
// no plan, the original model (Recover's distillation teacher).
std::unique_ptr<MoeModel> residentCopy(const MoeModel& open, const std::string& device);
// residentCopy with `plan` applied.
std::unique_ptr<MoeModel> trainingCopy(
    const MoeModel& open, const std::string& device, const Plan& plan, PlanTensorSource tensors = {});
// `model`'s tokenizer.json; fails (moewb::Error) when its folder has none.
std::filesystem::path trainingTokenizerPath(const MoeModel& model);

} // namespace moewb::gui
