// Weights of one decoder layer, materialised from the checkpoint (or built in memory by methods:
// pruned, factored or condensed experts).
#pragma once
#include <torch/types.h>

#include <optional>
#include <vector>

namespace moewb {

// A linear map y = x W^T (+ b). Either dense W [out, in] or factored W ~ A B with A [out, r],
// B [r, in], applied as two matmuls (never multiplied back).
struct Linear {
    torch::Tensor weight;  // dense, or undefined when factored
    torch::Tensor a, b;    // factors
    torch::Tensor bias;    // optional
    // LoRA adapters (recovery fine-tuning, core/train/lora.h): a dense W gets y += s (x loraA^T) loraB^T
    // with loraA [r, in], loraB [out, r]. A factored W ~ a b gets one adapter per factor, so merging
    // keeps the shapes: b's (innerLoraA [r, in], innerLoraB [rank, r]) and a's (loraA, loraB on the
    // rank-dimensional inner activations). Dropout on the adapter inputs while autograd records.
    torch::Tensor loraA, loraB, innerLoraA, innerLoraB;
    double loraScale = 0.0, loraDropout = 0.0;

    bool defined() const { return weight.defined() || a.defined(); }
    bool factored() const { return !weight.defined() && a.defined(); }
    int64_t outFeatures() const { return factored() ? a.size(0) : weight.size(0); }
    int64_t inFeatures() const { return factored() ? b.size(1) : weight.size(1); }
    int64_t rank() const { return factored() ? a.size(1) : -1; }
    int64_t parameters() const;
    torch::Tensor operator()(const torch::Tensor& x) const;
};

// down(silu(gate(x)) * up(x))
struct SwiGlu {
    Linear gate, up, down;
    torch::Tensor operator()(const torch::Tensor& x) const;
    int64_t parameters() const { return gate.parameters() + up.parameters() + down.parameters(); }
};

struct AttentionWeights {
    // GQA / MHA
    Linear q, k, v, o;
    torch::Tensor qNorm, kNorm;  // per-head [head_dim] (Qwen3) or full [heads*head_dim] (OLMoE)
    // MLA (DeepSeek-V2): q directly (q) or through q_a -> norm -> q_b
    Linear qA, qB, kvA, kvB;
    torch::Tensor qANorm, kvANorm;
};

// A MoE block. Routed experts keep their original ids in `expertIds` (pruned models keep a subset);
// the router has one row per kept expert, in the same order.
struct MoeWeights {
    torch::Tensor router;               // [E_kept, d]
    std::vector<SwiGlu> experts;        // E_kept
    std::vector<int> expertIds;         // original index of each kept expert
    std::optional<SwiGlu> shared;       // shared expert(s), fused into one MLP
    torch::Tensor sharedGate;           // [1, d] (Qwen) or undefined
    // Condensed (CD-MoE): no router; y = shared(x) + sum_i condensedWeights[i] * experts[i](x)
    bool condensed = false;
    std::vector<double> condensedWeights;
};

struct DecoderLayerWeights {
    int index = 0;
    torch::Tensor inputNorm, postAttentionNorm;
    AttentionWeights attention;
    std::optional<SwiGlu> dense;       // dense MLP layer
    std::optional<MoeWeights> moe;     // MoE layer
    bool moeDropped = false;           // Layer Drop: MoE sublayer removed (pure residual)
    bool blockDropped = false;         // Block Drop: the whole layer is an identity
};

} // namespace moewb
