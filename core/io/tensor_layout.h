// Tensor names and shapes a checkpoint must hold for a ModelSpec, and checking a checkpoint against
// them. Names follow the Hugging Face layouts in shared/docs/checkpoints.md; transformers v5 may store
// experts fused (`<moe>.experts.gate_up_proj` [E, 2f, d], gate rows first, and `<moe>.experts.down_proj`
// [E, d, f]) instead of one tensor per expert and projection.
#pragma once
#include "core/io/dtype.h"
#include "core/io/model_spec.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace moewb {

class Checkpoint;

enum class ExpertLayout { PerExpert, FusedV5 };
enum class Proj { Gate, Up, Down };
// Projections and norms of self-attention. GQA uses Q, K, V, O (+ QNorm, KNorm for Qwen3/OLMoE);
// MLA uses Q (no q LoRA) or QA, QANorm, QB, then KvA, KvANorm, KvB and O.
enum class AttnTensor { Q, K, V, O, QNorm, KNorm, QA, QANorm, QB, KvA, KvANorm, KvB };

// What a tensor belongs to, for parameter and byte breakdowns.
enum class Component { Embedding, Attention, Router, RoutedExperts, SharedExperts, DenseMlp, Norms, LmHead };
constexpr int kComponentCount = 8;
std::string_view componentName(Component component); // "embedding", "attention", "routers", ...

std::string_view expertLayoutName(ExpertLayout layout); // "per-expert" / "fused (transformers v5)"

// --- Names ------------------------------------------------------------------------------------------
std::string embeddingName(); // model.embed_tokens.weight
std::string finalNormName(); // model.norm.weight
std::string lmHeadName(); // lm_head.weight
std::string layerPrefix(int layer); // "model.layers.3."
std::string inputNormName(int layer); // model.layers.3.input_layernorm.weight
std::string postAttentionNormName(int layer); // model.layers.3.post_attention_layernorm.weight
// model.layers.3.self_attn.q_proj.weight (or .bias with `bias`).
std::string attentionName(int layer, AttnTensor tensor, bool bias = false);
// The MoE block's prefix without a trailing dot: "model.layers.3.block_sparse_moe" (Mixtral legacy) or
// "model.layers.3.mlp". transformers v5 keeps Mixtral's fused experts under "mlp".
std::string moePrefix(const ModelSpec& spec, int layer, ExpertLayout layout = ExpertLayout::PerExpert);
std::string routerName(const ModelSpec& spec, int layer, ExpertLayout layout = ExpertLayout::PerExpert);
// model.layers.3.block_sparse_moe.experts.5.w1.weight / model.layers.3.mlp.experts.5.gate_proj.weight
std::string expertProjName(const ModelSpec& spec, int layer, int expert, Proj proj);
// A factored expert matrix of the extended export format: "....gate_proj.weight_a" [out, r] (a: true)
// or "....weight_b" [r, in], with W ~ weight_a weight_b.
std::string factoredExpertProjName(const ModelSpec& spec, int layer, int expert, Proj proj, bool a);
std::string fusedGateUpName(const ModelSpec& spec, int layer); // <moe>.experts.gate_up_proj
std::string fusedDownName(const ModelSpec& spec, int layer); // <moe>.experts.down_proj
// model.layers.3.mlp.shared_expert.gate_proj.weight (Qwen) / ...mlp.shared_experts.... (DeepSeek)
std::string sharedExpertProjName(const ModelSpec& spec, int layer, Proj proj);
std::string sharedExpertGateName(int layer); // model.layers.3.mlp.shared_expert_gate.weight (Qwen)
std::string denseMlpProjName(int layer, Proj proj); // model.layers.0.mlp.gate_proj.weight

// --- Expected tensors -------------------------------------------------------------------------------
struct ExpectedTensor {
    std::string name;
    std::vector<int64_t> shape;
    // The config field(s) each dimension comes from ("num_experts", "num_attention_heads*head_dim"),
    // so a mismatch can say what the config claims.
    std::vector<std::string> dimSource;
    bool optional = false; // may be absent: lm_head.weight when tie_word_embeddings
    Component component = Component::Attention;
    int layer = -1; // -1: not inside a decoder layer
    int expert = -1; // routed expert index; -1 otherwise (fused tensors hold every expert)
    uint64_t numel() const;
};

std::vector<ExpectedTensor> expectedTensors(
    const ModelSpec& spec, ExpertLayout layout = ExpertLayout::PerExpert);

// Tensors a checkpoint may carry that are not weights (rotary inv_freq buffers of old checkpoints).
bool isIgnorableTensor(std::string_view name);

// --- Checking a checkpoint --------------------------------------------------------------------------
// What validation needs to know about a checkpoint's tensors; built from a Checkpoint or by hand.
struct CatalogTensor {
    std::vector<int64_t> shape;
    DType dtype = DType::BF16;
    uint64_t nbytes = 0;
    std::string file; // shard file path as opened ("folder/model.safetensors"), for messages
};
struct TensorCatalog {
    std::string source; // names the checkpoint when no single file is to blame (missing tensors)
    std::map<std::string, CatalogTensor> tensors;
};
TensorCatalog catalogOf(const Checkpoint& checkpoint);

// Fused when any MoE layer holds `<moe>.experts.gate_up_proj`; per-expert otherwise.
ExpertLayout detectExpertLayout(const ModelSpec& spec, const TensorCatalog& catalog);
ExpertLayout detectExpertLayout(const ModelSpec& spec, const Checkpoint& checkpoint);

struct CheckpointValidation {
    ExpertLayout layout = ExpertLayout::PerExpert;
    size_t tensorsChecked = 0;
    // Tensors that look like weights but that the config does not describe (not fatal).
    std::vector<std::string> warnings;
    int checkpointLayers = 0; // highest "model.layers.<i>." index among the tensors, plus one
    std::string source;       // the catalog's source (the checkpoint file or its index)
};

// Throws moewb::Error when an expected tensor is missing or mis-shaped, or a tensor names an expert
// index the config does not have. Messages name the shard file, the tensor, its shape and the config
// field ("model-00002-of-00003.safetensors: tensor 'model.layers.3.mlp.gate.weight' has shape
// [60,2048], config says num_experts=64"); up to 10 problems are listed.
CheckpointValidation validateCheckpoint(const ModelSpec& spec, const TensorCatalog& catalog);
CheckpointValidation validateCheckpoint(const ModelSpec& spec, const Checkpoint& checkpoint);

// A config with fewer layers than its checkpoint runs truncated; transformers loads it the same way,
// warning about the unused weights, so it is not an error. The one-line warning every command that
// loads the model gives (MoeModel::open, inspect), or "" when the counts agree: "qwen/config.json:
// num_hidden_layers=3, but qwen/model.safetensors holds 6 layers; the model runs with 3 ...".
std::string unusedLayersWarning(const ModelSpec& spec, const CheckpointValidation& validation, const std::string& config);

} // namespace moewb
