#include "app/gui/worker_training.h"

#include "core/io/error.h"

namespace moewb::gui {

std::unique_ptr<MoeModel> residentCopy(const MoeModel& open, const std::string& device)
{
    auto model = MoeModel::open(open.path(), ComputeOptions{torch::kFloat, torch::Device(device)});
    model->makeResident();
    return model;
}

std::unique_ptr<MoeModel> trainingCopy(
    const MoeModel& open, const std::string& device, const Plan& plan, PlanTensorSource tensors)
{
    auto model = residentCopy(open, device);
    applyPlan(*model, plan, std::move(tensors));
    return model;
}

std::filesystem::path trainingTokenizerPath(const MoeModel& model)
{
    const auto path = model.path() / "tokenizer.json";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        fail("{}: no tokenizer.json in the model folder, so the training text cannot be tokenised",
            model.path().string());
    return path;
}

} // namespace moewb::gui
