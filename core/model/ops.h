// Small building blocks shared by the decoder parts.
#pragma once
#include <torch/types.h>

namespace moewb {

// RMSNorm as the reference computes it: in fp32 (fp64 when x is fp64), cast back, then * weight.
torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// Additive attention mask [B, 1, T, T]: 0 where a query may attend (causal and key not padding),
// the dtype's lowest value elsewhere. `attentionMask` [B, T] (1 = token, 0 = padding) may be undefined.
torch::Tensor causalMask(int64_t batch, int64_t length, const torch::Tensor& attentionMask,
                         torch::ScalarType dtype, const torch::Device& device);

} // namespace moewb
