// A MoE decoder model over a checkpoint, run layer by layer. Non-resident layers are materialised
// from the mmap for each pass and released afterwards, so the working set stays about one layer plus
// activations; small models can be kept resident. Layers can be replaced in memory (applied plans).
#pragma once
#include "core/io/model_spec.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_layout.h"
#include "core/model/attention.h"
#include "core/model/layer_weights.h"
#include "core/model/moe_block.h"
#include "core/model/tensor_load.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace moewb {

// What one decoder layer saw and produced during a forward pass (given to ForwardOptions::onLayer).
struct LayerTrace {
    int layer = 0;
    const DecoderLayerWeights* weights = nullptr;  // valid during the callback
    torch::Tensor input;      // [B, T, d] decoder layer input
    torch::Tensor residual;   // [B, T, d] after attention (h = x + attn)
    torch::Tensor mlpInput;   // [B*T, d] post-attention-normed input of the MLP / MoE block
    torch::Tensor mlpOutput;  // [B*T, d] MLP / MoE block output
    torch::Tensor output;     // [B, T, d] decoder layer output
    std::optional<MoeTrace> moe;
};

struct LayerOverride {
    std::vector<int> removedExperts;  // original expert ids, masked with -inf in place
    bool skipMlp = false;             // drop the MLP/MoE sublayer: h passes through
    bool skipLayer = false;           // drop the whole decoder layer
};

struct ForwardOptions {
    std::map<int, LayerOverride> overrides;
    bool hiddenStates = false;  // collect hidden states as transformers' output_hidden_states does
    bool routerLogits = false;  // collect router logits of every MoE layer
    bool enableGrad = false;    // differentiable mode: autograd through the pass (resident models)
    int firstLayer = 0;         // run layers [firstLayer, lastLayer) from `inputs` hidden states
    int lastLayer = -1;         // -1 = all; with lastLayer < numLayers no head is applied
    std::function<void(const LayerTrace&)> onLayer;
    // Called after each layer with the fraction done; returning false cancels (moewb::Cancelled).
    std::function<bool(double)> progress;
};

struct ForwardResult {
    torch::Tensor logits;  // [B, T, V] (undefined when the pass stopped before the head)
    torch::Tensor hidden;  // last hidden state before the final norm [B, T, d]
    // transformers' convention: [embeddings, out_0, ..., out_{L-2}, norm(out_{L-1})].
    std::vector<torch::Tensor> hiddenStates;
    std::map<int, torch::Tensor> routerLogits;  // MoE layer -> [B*T, E_kept]
};

class MoeModel {
public:
    // `path`: a checkpoint folder (config.json + safetensors).
    // `adjustSpec` may edit the parsed spec before anything is built (experiments, tests).
    static std::unique_ptr<MoeModel> open(const std::filesystem::path& path, ComputeOptions options = {},
                                          const std::function<void(ModelSpec&)>& adjustSpec = {});

    const ModelSpec& spec() const { return m_spec; }
    const Checkpoint& checkpoint() const { return *m_checkpoint; }
    const ComputeOptions& options() const { return m_options; }
    const std::filesystem::path& path() const { return m_path; }

    // Materialises layer i's weights from the checkpoint (or returns the in-memory replacement).
    DecoderLayerWeights layer(int i) const;
    // Keeps every layer in memory (small models, repeated passes, training).
    void makeResident();
    bool resident() const { return m_resident.size() == static_cast<size_t>(m_spec.numLayers); }
    // Replaces a layer's weights in memory (pruned, factored, condensed).
    void setLayer(int i, DecoderLayerWeights weights);
    // Every layer materialised from the checkpoint from now on passes through `transform` (an applied
    // plan on a streamed model, core/plan/apply.h); resident layers are not touched.
    void setLayerTransform(std::function<void(DecoderLayerWeights&)> transform);
    bool hasLayerTransform() const { return static_cast<bool>(m_transform); }
    void releaseLayerPages(int i) const;
    // Differentiable mode: makes the model resident in fp32-or-wider trainable tensors and returns
    // every weight tensor (embedding, norms, attention, experts, routers, head).
    std::vector<torch::Tensor> parameters();
    // The same tensors under their checkpoint names (per-expert layout), without enabling gradients.
    // Factored linears appear as "<name>#a" and "<name>#b" (no checkpoint stores those).
    std::vector<std::pair<std::string, torch::Tensor>> namedParameters();

    torch::Tensor embed(const torch::Tensor& ids) const;
    torch::Tensor finalNorm(const torch::Tensor& h) const;
    torch::Tensor head(const torch::Tensor& normed) const;
    AttentionContext attentionContext(const torch::Tensor& attentionMask, int64_t batch, int64_t length) const;

    // One decoder layer on hidden states [B, T, d].
    torch::Tensor runLayer(const DecoderLayerWeights& w, const torch::Tensor& x, const AttentionContext& ctx,
                           const LayerOverride* override = nullptr, LayerTrace* trace = nullptr) const;

    // Full (or partial) forward. `inputs`: token ids [B, T] (int64), or hidden states [B, T, d]
    // when options.firstLayer > 0. `attentionMask` [B, T] may be undefined (no padding).
    ForwardResult forward(const torch::Tensor& inputs, const torch::Tensor& attentionMask = {},
                          const ForwardOptions& options = {}) const;

private:
    MoeModel() = default;
    torch::Tensor load(const std::string& name) const;
    torch::Tensor loadOptional(const std::string& name) const;
    Linear loadLinear(const std::string& weightName) const;
    SwiGlu loadSwiGlu(const std::function<std::string(Proj)>& name) const;
    MoeWeights loadMoe(int i, const LayerSpec& layer) const;
    AttentionWeights loadAttention(int layer) const;

    std::filesystem::path m_path;
    ModelSpec m_spec;
    std::unique_ptr<Checkpoint> m_checkpoint;
    ComputeOptions m_options;
    std::unique_ptr<Attention> m_attention;
    torch::Tensor m_embedding, m_norm, m_lmHead;
    std::map<int, DecoderLayerWeights> m_resident;
    std::function<void(DecoderLayerWeights&)> m_transform;
};

// Calls `fn` with the checkpoint weight name and the Linear of every linear map of one layer
// (attention, dense MLP, routed and shared experts; not the router).
void visitLayerLinears(const ModelSpec& spec, DecoderLayerWeights& weights,
                       const std::function<void(const std::string&, Linear&)>& fn);
// Calls `fn` with the checkpoint name and tensor of every weight of one layer (per-expert names;
// a factored linear's factors as "<name>#a" and "<name>#b").
void visitLayerTensors(const ModelSpec& spec, DecoderLayerWeights& weights,
                       const std::function<void(const std::string&, torch::Tensor&)>& fn);

} // namespace moewb
