#include "core/model/layer_weights.h"

#include <torch/torch.h>

namespace moewb {

int64_t Linear::parameters() const
{
    int64_t n = bias.defined() ? bias.numel() : 0;
    if (factored())
        return n + a.numel() + b.numel();
    return n + (weight.defined() ? weight.numel() : 0);
}

torch::Tensor Linear::operator()(const torch::Tensor& x) const
{
    if (factored())
        return torch::linear(torch::linear(x, b), a, bias.defined() ? bias : torch::Tensor());
    return torch::linear(x, weight, bias.defined() ? bias : torch::Tensor());
}

torch::Tensor SwiGlu::operator()(const torch::Tensor& x) const
{
    return down(torch::silu(gate(x)) * up(x));
}

} // namespace moewb
