// Parameter counts of a ModelSpec: total, active per token, and by component.
//
// Convention: "active" counts every parameter a token's forward pass reads, with the embedding and
// lm_head matrices counted in full and, in MoE layers, only top-k routed experts (shared experts,
// routers, attention and norms always). This is how Mistral, Qwen, AllenAI and DeepSeekMoE state their
// published "active" figures. DeepSeek-V2 states its figures without the input embedding; that
// number is activeNonEmbedding + the lm_head count (see tests/core/test_model_spec.cpp).
#pragma once
#include "core/io/dtype.h"
#include "core/io/model_spec.h"
#include "core/io/tensor_layout.h"

#include <array>
#include <cstdint>
#include <optional>

namespace moewb {

struct ComponentCounts {
    std::array<uint64_t, kComponentCount> values{};
    uint64_t& operator[](Component c) { return values[static_cast<size_t>(c)]; }
    uint64_t operator[](Component c) const { return values[static_cast<size_t>(c)]; }
    uint64_t sum() const;
};

struct ParameterCounts {
    uint64_t total = 0; // every stored parameter; a tied lm_head is not counted twice
    uint64_t active = 0; // per token, embedding and lm_head included
    uint64_t totalNonEmbedding = 0; // total without embed_tokens and lm_head
    uint64_t activeNonEmbedding = 0; // active without embed_tokens and lm_head
    ComponentCounts byComponent; // sums to total
    ComponentCounts activeByComponent; // sums to active
    // Bytes of all parameters stored as `dtype`; nullopt when that overflows or cannot be packed.
    std::optional<uint64_t> bytes(DType dtype) const { return dtypeBytes(dtype, total); }
};

// Throws moewb::Error when a count does not fit in 64 bits (only absurd configs get there).
ParameterCounts countParameters(const ModelSpec& spec);

} // namespace moewb
