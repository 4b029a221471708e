// Materialising checkpoint tensors as LibTorch tensors (copies: the mmap pages can then be released).
#pragma once
#include "core/io/safetensors.h"

#include <torch/types.h>

namespace moewb {

// LibTorch scalar type of a safetensors dtype; throws for types LibTorch 1.13 lacks (fp8, fp4 ...).
torch::ScalarType toScalarType(DType dtype);

// Copies tensor `name` into a new tensor of `target` type on `device` (fp8 converted through fp32).
torch::Tensor loadTensor(const Checkpoint& checkpoint, const std::string& name, torch::ScalarType target,
                         const torch::Device& device = torch::kCPU);

// Where compute happens: dtype of weights and activations, and device.
struct ComputeOptions {
    torch::ScalarType dtype = torch::kFloat;  // kFloat, kDouble, or the checkpoint's kBFloat16/kHalf
    torch::Device device = torch::kCPU;
};

} // namespace moewb
