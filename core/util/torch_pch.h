// Precompiled header for LibTorch translation units (core, the CLI, core tests).
// It holds the tensor API (<torch/types.h>: ATen, autograd's factories) and the small guards, not
// <torch/torch.h>: that one drags in torch::nn/optim/data/jit, and GCC instantiates their pending
// templates again in every translation unit that uses the PCH (~10 s each on the CI machine, even
// for an empty file). Files that train (optimisers, nn::functional, serialisation) include those
// headers themselves. Measured in docs/build.md.
#pragma once
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/cuda.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vector>
#include <string>
#include <memory>
