// A fresh, randomly initialised checkpoint for a config: every tensor the config implies
// (core/io/tensor_layout), as transformers' _init_weights would draw it — normal(0, initializer_range)
// for matrices and embeddings, ones for RMSNorm weights, zeros for biases — stored in fp32.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>

namespace moewb {

// Writes config.json and model.safetensors into `directory` (created; must not hold a checkpoint
// already). Deterministic for a seed. `routerStd` > 0 draws router matrices with that standard
// deviation instead (larger router logits at the start route more confidently).
void writeInitialCheckpoint(const std::filesystem::path& directory, const nlohmann::json& config, uint64_t seed,
                            double routerStd = 0);

} // namespace moewb
