#include "core/model/layer_weights.h"

#include <torch/types.h>

namespace moewb {

int64_t Linear::parameters() const
{
    int64_t n = bias.defined() ? bias.numel() : 0;
    if (factored())
        return n + a.numel() + b.numel();
    return n + (weight.defined() ? weight.numel() : 0);
}

namespace {

torch::Tensor adapter(const torch::Tensor& x, const torch::Tensor& down, const torch::Tensor& up, double scale,
                      double dropout)
{
    const bool training = torch::GradMode::is_enabled();
    auto h = dropout > 0 && training ? torch::dropout(x, dropout, true) : x;
    return torch::linear(torch::linear(h, down), up) * scale;
}

} // namespace

torch::Tensor Linear::operator()(const torch::Tensor& x) const
{
    const torch::Tensor noBias = bias.defined() ? bias : torch::Tensor();
    if (factored()) {
        auto h = torch::linear(x, b);
        if (innerLoraA.defined())
            h = h + adapter(x, innerLoraA, innerLoraB, loraScale, loraDropout);
        auto y = torch::linear(h, a, noBias);
        return loraA.defined() ? y + adapter(h, loraA, loraB, loraScale, loraDropout) : y;
    }
    auto y = torch::linear(x, weight, noBias);
    return loraA.defined() ? y + adapter(x, loraA, loraB, loraScale, loraDropout) : y;
}

torch::Tensor SwiGlu::operator()(const torch::Tensor& x) const
{
    return down(torch::silu(gate(x)) * up(x));
}

} // namespace moewb
