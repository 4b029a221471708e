// Self-attention: GQA/MHA (Mixtral, Qwen, OLMoE, DeepSeekMoE) and MLA (DeepSeek-V2).
#pragma once
#include "core/io/model_spec.h"
#include "core/model/layer_weights.h"
#include "core/model/rope.h"

namespace moewb {

// Per-forward state shared by every layer: mask and rotary tables.
struct AttentionContext {
    torch::Tensor mask;      // [B, 1, T, T] additive
    torch::Tensor cos, sin;  // [B, T, rotary dim]
};

class Attention {
public:
    explicit Attention(const ModelSpec& spec);

    AttentionContext context(const torch::Tensor& attentionMask, int64_t batch, int64_t length,
                             torch::ScalarType dtype, const torch::Device& device) const;
    // x: normed hidden states [B, T, d] -> attention output [B, T, d].
    torch::Tensor forward(const AttentionWeights& w, const torch::Tensor& x, const AttentionContext& ctx) const;

private:
    torch::Tensor gqa(const AttentionWeights& w, const torch::Tensor& x, const AttentionContext& ctx) const;
    torch::Tensor mla(const AttentionWeights& w, const torch::Tensor& x, const AttentionContext& ctx) const;
    torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const AttentionContext& ctx) const;

    const ModelSpec& m_spec;
    Rope m_rope;
    double m_scale = 1.0;
};

} // namespace moewb
