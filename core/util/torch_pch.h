// Precompiled header for LibTorch-heavy translation units. Including <torch/torch.h> costs ~14 s a
// translation unit on the CI machine; compiled once here it costs that once.
#pragma once
#include <torch/torch.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vector>
#include <string>
#include <memory>
