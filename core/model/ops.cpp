#include "core/model/ops.h"

#include <torch/types.h>
#include <limits>

namespace moewb {

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps)
{
    const auto inputType = x.scalar_type();
    const auto accType = inputType == torch::kDouble ? torch::kDouble : torch::kFloat;
    auto xf = x.to(accType);
    auto variance = xf.pow(2).mean(-1, true);
    xf = xf * torch::rsqrt(variance + eps);
    return weight * xf.to(inputType);
}

torch::Tensor causalMask(int64_t batch, int64_t length, const torch::Tensor& attentionMask,
                         torch::ScalarType dtype, const torch::Device& device)
{
    auto allowed = torch::ones({length, length}, torch::TensorOptions().dtype(torch::kBool).device(device)).tril();
    auto allowed4 = allowed.view({1, 1, length, length}).expand({batch, 1, length, length});
    if (attentionMask.defined()) {
        auto keys = attentionMask.to(device).to(torch::kBool).view({batch, 1, 1, length});
        allowed4 = allowed4.logical_and(keys);
    }
    double lowest = 0.0;
    switch (dtype) {
    case torch::kDouble: lowest = std::numeric_limits<double>::lowest(); break;
    case torch::kFloat: lowest = std::numeric_limits<float>::lowest(); break;
    case torch::kBFloat16: lowest = -3.3895313892515355e38; break;
    case torch::kHalf: lowest = -65504.0; break;
    default: lowest = std::numeric_limits<float>::lowest(); break;
    }
    auto mask = torch::zeros({batch, 1, length, length}, torch::TensorOptions().dtype(dtype).device(device));
    return mask.masked_fill(allowed4.logical_not(), lowest);
}

} // namespace moewb
