#include "core/io/tensor_layout.h"

#include "core/io/model_spec_detail.h"

#include <fmt/format.h>

namespace moewb {

std::string_view componentName(Component component)
{
    switch (component) {
    case Component::Embedding:
        return "embedding";
    case Component::Attention:
        return "attention";
    case Component::Router:
        return "routers";
    case Component::RoutedExperts:
        return "routed experts";
    case Component::SharedExperts:
        return "shared experts";
    case Component::DenseMlp:
        return "dense MLPs";
    case Component::Norms:
        return "norms";
    case Component::LmHead:
        return "lm_head";
    }
    return "?";
}

std::string_view expertLayoutName(ExpertLayout layout)
{
    return layout == ExpertLayout::FusedV5 ? "fused (transformers v5)" : "per-expert";
}

uint64_t ExpectedTensor::numel() const
{
    uint64_t n = 1;
    for (auto d : shape)
        n *= static_cast<uint64_t>(d);
    return n;
}

std::string embeddingName()
{
    return "model.embed_tokens.weight";
}
std::string finalNormName()
{
    return "model.norm.weight";
}
std::string lmHeadName()
{
    return "lm_head.weight";
}
std::string layerPrefix(int layer)
{
    return fmt::format("model.layers.{}.", layer);
}
std::string inputNormName(int layer)
{
    return layerPrefix(layer) + "input_layernorm.weight";
}
std::string postAttentionNormName(int layer)
{
    return layerPrefix(layer) + "post_attention_layernorm.weight";
}

std::string attentionName(int layer, AttnTensor tensor, bool bias)
{
    static const char* const kModules[] = {"q_proj", "k_proj", "v_proj", "o_proj", "q_norm", "k_norm",
        "q_a_proj", "q_a_layernorm", "q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj"};
    return fmt::format("{}self_attn.{}.{}", layerPrefix(layer), kModules[static_cast<int>(tensor)],
        bias ? "bias" : "weight");
}

std::string moePrefix(const ModelSpec& spec, int layer, ExpertLayout layout)
{
    const std::string& prefix = layout == ExpertLayout::FusedV5 ? std::string("mlp") : spec.naming.moePrefix;
    return layerPrefix(layer) + prefix;
}

std::string routerName(const ModelSpec& spec, int layer, ExpertLayout layout)
{
    return moePrefix(spec, layer, layout) + ".gate.weight";
}

namespace {
const std::string& projName(const NamingSpec& naming, Proj proj)
{
    return proj == Proj::Gate ? naming.gateProj : proj == Proj::Up ? naming.upProj : naming.downProj;
}
} // namespace

std::string expertProjName(const ModelSpec& spec, int layer, int expert, Proj proj)
{
    return fmt::format(
        "{}.experts.{}.{}.weight", moePrefix(spec, layer), expert, projName(spec.naming, proj));
}

std::string factoredExpertProjName(const ModelSpec& spec, int layer, int expert, Proj proj, bool a)
{
    return expertProjName(spec, layer, expert, proj) + (a ? "_a" : "_b");
}

std::string fusedGateUpName(const ModelSpec& spec, int layer)
{
    return moePrefix(spec, layer, ExpertLayout::FusedV5) + ".experts.gate_up_proj";
}

std::string fusedDownName(const ModelSpec& spec, int layer)
{
    return moePrefix(spec, layer, ExpertLayout::FusedV5) + ".experts.down_proj";
}

std::string sharedExpertProjName(const ModelSpec& spec, int layer, Proj proj)
{
    static const NamingSpec kStandard;
    return fmt::format(
        "{}mlp.{}.{}.weight", layerPrefix(layer), spec.naming.sharedPrefix, projName(kStandard, proj));
}

std::string sharedExpertGateName(int layer)
{
    return layerPrefix(layer) + "mlp.shared_expert_gate.weight";
}

std::string denseMlpProjName(int layer, Proj proj)
{
    static const NamingSpec kStandard; // dense MLPs are gate/up/down_proj in every architecture
    return fmt::format("{}mlp.{}.weight", layerPrefix(layer), projName(kStandard, proj));
}

bool isIgnorableTensor(std::string_view name)
{
    constexpr std::string_view kInvFreq = "rotary_emb.inv_freq";
    return name.size() >= kInvFreq.size() && name.substr(name.size() - kInvFreq.size()) == kInvFreq;
}

namespace {

class Builder {
public:
    explicit Builder(std::vector<ExpectedTensor>& out)
        : m_out(out)
    {
    }
    Builder& layer(int l)
    {
        m_layer = l;
        return *this;
    }
    void add(std::string name, std::vector<int64_t> shape, std::vector<std::string> source, Component c,
        int expert = -1, bool optional = false)
    {
        m_out.push_back({std::move(name), std::move(shape), std::move(source), optional, c, m_layer, expert});
    }
    // A linear layer `name` (".weight" appended) of [out, in], with an optional bias.
    void linear(const std::string& stem, int64_t out, const std::string& outSrc, int64_t in,
        const std::string& inSrc, Component c, bool bias = false, int expert = -1)
    {
        add(stem + ".weight", {out, in}, {outSrc, inSrc}, c, expert);
        if (bias)
            add(stem + ".bias", {out}, {outSrc}, c, expert);
    }

private:
    std::vector<ExpectedTensor>& m_out;
    int m_layer = -1;
};

std::string stem(const std::string& weightName)
{
    return weightName.substr(0, weightName.size() - 7);
}

void addAttention(Builder& b, const ModelSpec& spec, int i)
{
    const auto& a = spec.attention;
    const int64_t d = spec.hiddenSize, H = a.numHeads;
    auto name = [&](AttnTensor t) { return stem(attentionName(i, t)); };
    if (a.kind == AttentionKind::Mla) {
        const int64_t qhd = a.qHeadDim();
        const std::string qOut = "num_attention_heads*(qk_nope_head_dim+qk_rope_head_dim)";
        if (a.qLoraRank > 0) {
            b.linear(name(AttnTensor::QA), a.qLoraRank, "q_lora_rank", d, "hidden_size", Component::Attention,
                a.qkvBias);
            b.add(attentionName(i, AttnTensor::QANorm), {a.qLoraRank}, {"q_lora_rank"}, Component::Norms);
            b.linear(name(AttnTensor::QB), H * qhd, qOut, a.qLoraRank, "q_lora_rank", Component::Attention);
        } else {
            b.linear(name(AttnTensor::Q), H * qhd, qOut, d, "hidden_size", Component::Attention);
        }
        b.linear(name(AttnTensor::KvA), a.kvLoraRank + a.qkRopeHeadDim, "kv_lora_rank+qk_rope_head_dim", d,
            "hidden_size", Component::Attention, a.qkvBias);
        b.add(attentionName(i, AttnTensor::KvANorm), {a.kvLoraRank}, {"kv_lora_rank"}, Component::Norms);
        b.linear(name(AttnTensor::KvB), H * (a.qkNopeHeadDim + a.vHeadDim),
            "num_attention_heads*(qk_nope_head_dim+v_head_dim)", a.kvLoraRank, "kv_lora_rank",
            Component::Attention);
        b.linear(name(AttnTensor::O), d, "hidden_size", H * a.vHeadDim, "num_attention_heads*v_head_dim",
            Component::Attention, a.oBias);
        return;
    }
    const int64_t q = H * a.headDim, kv = int64_t(a.numKvHeads) * a.headDim;
    const std::string qSrc = "num_attention_heads*head_dim", kvSrc = "num_key_value_heads*head_dim";
    b.linear(name(AttnTensor::Q), q, qSrc, d, "hidden_size", Component::Attention, a.qkvBias);
    b.linear(name(AttnTensor::K), kv, kvSrc, d, "hidden_size", Component::Attention, a.qkvBias);
    b.linear(name(AttnTensor::V), kv, kvSrc, d, "hidden_size", Component::Attention, a.qkvBias);
    b.linear(name(AttnTensor::O), d, "hidden_size", q, qSrc, Component::Attention, a.oBias);
    if (a.qkNorm == QkNorm::PerHead) {
        b.add(attentionName(i, AttnTensor::QNorm), {a.headDim}, {"head_dim"}, Component::Norms);
        b.add(attentionName(i, AttnTensor::KNorm), {a.headDim}, {"head_dim"}, Component::Norms);
    } else if (a.qkNorm == QkNorm::Full) {
        b.add(attentionName(i, AttnTensor::QNorm), {q}, {qSrc}, Component::Norms);
        b.add(attentionName(i, AttnTensor::KNorm), {kv}, {kvSrc}, Component::Norms);
    }
}

void addSwiGlu(Builder& b, const std::string& gate, const std::string& up, const std::string& down,
    int64_t width, const std::string& widthSrc, int64_t d, Component c, int expert = -1)
{
    b.linear(stem(gate), width, widthSrc, d, "hidden_size", c, false, expert);
    b.linear(stem(up), width, widthSrc, d, "hidden_size", c, false, expert);
    b.linear(stem(down), d, "hidden_size", width, widthSrc, c, false, expert);
}

// A factored expert matrix [out, in] as weight_a [out, r] and weight_b [r, in].
void addFactored(Builder& b, const ModelSpec& spec, int i, int e, Proj p, int64_t out, const std::string& outSrc,
    int64_t in, const std::string& inSrc, int rank)
{
    const std::string rankSrc = fmt::format("{}.layers[{}].ranks[{}]", kCompressionKey, i, e);
    b.add(factoredExpertProjName(spec, i, e, p, true), {out, rank}, {outSrc, rankSrc}, Component::RoutedExperts, e);
    b.add(factoredExpertProjName(spec, i, e, p, false), {rank, in}, {rankSrc, inSrc}, Component::RoutedExperts, e);
}

void addMoe(Builder& b, const ModelSpec& spec, int i, const LayerSpec& l, ExpertLayout layout)
{
    const auto names = detail::fieldNames(spec.arch);
    const int64_t d = spec.hiddenSize, E = l.numExperts, f = l.expertWidth;
    // The extended format's per-layer counts are described under its own key.
    const std::string expertsSrc
        = spec.extended ? fmt::format("{}.layers[{}].experts", kCompressionKey, i) : std::string(names.experts);
    if (!l.condensed)
        b.add(routerName(spec, i, layout), {E, d}, {expertsSrc, "hidden_size"}, Component::Router);
    if (layout == ExpertLayout::FusedV5 && l.expertRanks.empty()) {
        b.add(fusedGateUpName(spec, i), {E, 2 * f, d},
            {expertsSrc, std::string("2*") + names.expertWidth, "hidden_size"}, Component::RoutedExperts);
        b.add(fusedDownName(spec, i), {E, d, f}, {expertsSrc, "hidden_size", names.expertWidth},
            Component::RoutedExperts);
    } else {
        for (int e = 0; e < l.numExperts; ++e) {
            if (auto it = l.expertRanks.find(e); it != l.expertRanks.end()) {
                addFactored(b, spec, i, e, Proj::Gate, f, names.expertWidth, d, "hidden_size", it->second);
                addFactored(b, spec, i, e, Proj::Up, f, names.expertWidth, d, "hidden_size", it->second);
                addFactored(b, spec, i, e, Proj::Down, d, "hidden_size", f, names.expertWidth, it->second);
            } else {
                addSwiGlu(b, expertProjName(spec, i, e, Proj::Gate), expertProjName(spec, i, e, Proj::Up),
                    expertProjName(spec, i, e, Proj::Down), f, names.expertWidth, d, Component::RoutedExperts, e);
            }
        }
    }
    if (l.shared.count > 0) {
        addSwiGlu(b, sharedExpertProjName(spec, i, Proj::Gate), sharedExpertProjName(spec, i, Proj::Up),
            sharedExpertProjName(spec, i, Proj::Down), l.shared.intermediateSize, names.sharedWidth, d,
            Component::SharedExperts);
        if (l.shared.gated)
            b.add(sharedExpertGateName(i), {1, d}, {"1", "hidden_size"}, Component::SharedExperts);
    }
}

} // namespace

std::vector<ExpectedTensor> expectedTensors(const ModelSpec& spec, ExpertLayout layout)
{
    std::vector<ExpectedTensor> out;
    Builder b(out);
    const int64_t d = spec.hiddenSize, V = spec.vocabSize;
    b.add(embeddingName(), {V, d}, {"vocab_size", "hidden_size"}, Component::Embedding);
    for (int i = 0; i < spec.numLayers; ++i) {
        const auto& l = spec.layers[static_cast<size_t>(i)];
        b.layer(i);
        b.add(inputNormName(i), {d}, {"hidden_size"}, Component::Norms);
        if (!l.mlpDropped)
            b.add(postAttentionNormName(i), {d}, {"hidden_size"}, Component::Norms);
        addAttention(b, spec, i);
        if (l.mlpDropped)
            continue;
        if (l.kind == LayerKind::Dense)
            addSwiGlu(b, denseMlpProjName(i, Proj::Gate), denseMlpProjName(i, Proj::Up),
                denseMlpProjName(i, Proj::Down), l.intermediateSize, "intermediate_size", d,
                Component::DenseMlp);
        else
            addMoe(b, spec, i, l, layout);
    }
    b.layer(-1);
    b.add(finalNormName(), {d}, {"hidden_size"}, Component::Norms);
    b.add(lmHeadName(), {V, d}, {"vocab_size", "hidden_size"}, Component::LmHead, -1, spec.tieWordEmbeddings);
    return out;
}

} // namespace moewb
