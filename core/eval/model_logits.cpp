#include "core/eval/eval_types.h"
#include "core/model/moe_model.h"

#include <torch/types.h>

namespace moewb {

LogitsFn modelLogits(const MoeModel& model)
{
    return modelLogits(model, ForwardOptions{});
}

LogitsFn modelLogits(const MoeModel& model, const ForwardOptions& base)
{
    return [&model, base](const torch::Tensor& ids, const ProgressFn& progress) {
        ForwardOptions options = base;
        options.progress = progress;
        return model.forward(ids.to(model.options().device), {}, options).logits;
    };
}

} // namespace moewb
