// One typed description of a MoE checkpoint's architecture, parsed from config.json. Everything
// downstream (forward pass, methods, export, GUI tree) reads this, never the raw JSON.
#pragma once
#include "core/io/dtype.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moewb {

enum class Architecture { Mixtral, Qwen2Moe, Qwen3Moe, Olmoe, DeepseekV2, Deepseek };

enum class LayerKind { Dense, Moe };
enum class AttentionKind { Gqa, Mla };
// Where q/k normalisation happens: none, per head over head_dim (Qwen3), over the full q/k
// projection before reshaping (OLMoE).
enum class QkNorm { None, PerHead, Full };
enum class TopkMethod { Greedy, GroupLimitedGreedy };

struct RouterSpec {
    bool softmaxFp32 = true;          // false: softmax in the model dtype (DeepSeekMoE-16B)
    bool normTopkProb = false;        // renormalise the selected top-k weights to sum to 1
    double routedScalingFactor = 1.0; // applied when not renormalising (DeepSeek-V2)
    TopkMethod topkMethod = TopkMethod::Greedy;
    int nGroup = 1;                   // group-limited routing: contiguous expert groups
    int topkGroup = 1;                // groups kept
    bool combineFp32 = false;         // DeepSeek-V2 combines expert outputs in fp32
};

struct SharedExpertSpec {
    int count = 0;            // 0 = none. DeepSeek: n_shared_experts fused into one MLP
    int intermediateSize = 0; // total width of the shared MLP
    bool gated = false;       // Qwen: sigmoid(shared_expert_gate(x)) scales the shared output
};

struct AttentionSpec {
    AttentionKind kind = AttentionKind::Gqa;
    int numHeads = 0;
    int numKvHeads = 0;
    int headDim = 0;          // GQA: head_dim if given else hidden/heads
    bool qkvBias = false;     // Qwen1.5
    bool oBias = false;
    QkNorm qkNorm = QkNorm::None;
    std::optional<double> clipQkv; // OLMoE
    // MLA (DeepSeek-V2)
    int qLoraRank = 0;        // 0: q_proj directly
    int kvLoraRank = 0;
    int qkNopeHeadDim = 0;
    int qkRopeHeadDim = 0;
    int vHeadDim = 0;
    int qHeadDim() const { return kind == AttentionKind::Mla ? qkNopeHeadDim + qkRopeHeadDim : headDim; }
};

struct RopeSpec {
    double theta = 10000.0;
    std::string type = "default"; // "default", "yarn", "linear", "dynamic" (only default and yarn computed)
    int rotaryDim = 0;            // dims rotated per head (MLA: qk_rope_head_dim)
    bool interleaved = false;     // pairs (x[2i], x[2i+1]) instead of half split (DeepSeek-V2 MLA)
    double factor = 1.0;
    int originalMaxPositionEmbeddings = 0;
    double betaFast = 32.0;
    double betaSlow = 1.0;
    double mscale = 1.0;
    double mscaleAllDim = 0.0;
    std::optional<double> attentionFactor; // YaRN "attention_factor" when the config gives one
};

struct LayerSpec {
    LayerKind kind = LayerKind::Moe;
    int intermediateSize = 0; // dense MLP width (dense layers)
    int numExperts = 0;       // routed experts (MoE layers)
    int topK = 0;
    int expertWidth = 0;      // routed expert intermediate size
    SharedExpertSpec shared;
    // Compressed checkpoints in the extended export format (docs/export.md, config key
    // kCompressionKey) describe what changed per layer; a plain config leaves these at their defaults.
    bool mlpDropped = false;           // Layer Drop: no post-attention norm and no MLP/MoE sublayer
    bool condensed = false;            // CD-MoE: no router; y = shared(x) + sum_j w_j expert_j(x)
    std::vector<double> condensedWeights; // parallel to the experts when condensed
    std::map<int, int> expertRanks;    // factored routed experts: expert -> rank r (W ~ A B)
    std::vector<int> sourceExperts;    // source expert id of each expert (extended format only)
    int sourceLayer = -1;              // source layer (extended format only)
};

// The config.json key of the extended export format: {"format": "moewb-extended", "version": 1,
// "base_architecture": ..., "base_model_type": ..., "layers": [...]} (docs/export.md).
inline constexpr const char* kCompressionKey = "moewb_compression";
inline constexpr int kCompressionVersion = 1;

// Tensor names of one architecture's checkpoint layout.
struct NamingSpec {
    std::string moePrefix = "mlp";   // "block_sparse_moe" for Mixtral
    std::string gateProj = "gate_proj", upProj = "up_proj", downProj = "down_proj"; // w1, w3, w2
    std::string sharedPrefix;        // "shared_expert" (Qwen) / "shared_experts" (DeepSeek)
};

struct ModelSpec {
    Architecture arch = Architecture::Mixtral;
    std::string modelType;        // config "model_type"
    std::string architectureName; // config "architectures"[0]
    int hiddenSize = 0;
    int numLayers = 0;
    int vocabSize = 0;
    int maxPositionEmbeddings = 0;
    double rmsNormEps = 1e-6;
    bool tieWordEmbeddings = false;
    DType dtype = DType::BF16;    // torch_dtype / dtype
    bool dtypeFromConfig = false; // false: the config names no dtype and BF16 is assumed
    std::string hiddenAct = "silu"; // every supported architecture uses SwiGLU with SiLU
    std::optional<int> bosTokenId, eosTokenId, padTokenId;
    AttentionSpec attention;
    RopeSpec rope;
    RouterSpec router;
    NamingSpec naming;
    std::vector<LayerSpec> layers;
    nlohmann::json config;        // the parsed config.json, for export
    bool extended = false;        // the config carries kCompressionKey (per-layer changes above)

    int numMoeLayers() const;
    std::vector<int> moeLayerIndices() const;
};

// Parses config.json (v4 and v5 key spellings). Throws moewb::Error naming the file and the field
// for unknown architectures, missing required fields and inconsistent values.
ModelSpec parseModelSpec(const nlohmann::json& config, const std::string& sourceName = "config.json");
ModelSpec loadModelSpec(const std::filesystem::path& configPath);
// Parses config.json text; invalid JSON is a moewb::Error naming `sourceName` like every other problem.
ModelSpec parseModelSpecText(std::string_view text, const std::string& sourceName = "config.json");

std::string architectureName(Architecture arch);

} // namespace moewb
