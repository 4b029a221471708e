#include "core/model/moe_model.h"

#include "core/io/error.h"
#include "core/model/ops.h"

#include <torch/torch.h>

namespace moewb {

namespace {

std::string layerPrefix(int i) { return "model.layers." + std::to_string(i) + "."; }

torch::Tensor boolMask(int64_t size, const std::vector<int>& positions)
{
    auto mask = torch::zeros({size}, torch::kBool);
    for (int p : positions)
        mask[p] = true;
    return mask;
}

} // namespace

std::unique_ptr<MoeModel> MoeModel::open(const std::filesystem::path& path, ComputeOptions options,
                                         const std::function<void(ModelSpec&)>& adjustSpec)
{
    std::unique_ptr<MoeModel> model(new MoeModel);
    model->m_path = path;
    model->m_spec = loadModelSpec(path / "config.json");
    if (adjustSpec)
        adjustSpec(model->m_spec);
    model->m_checkpoint = Checkpoint::open(path);
    model->m_options = options;
    model->m_attention = std::make_unique<Attention>(model->m_spec);
    model->m_embedding = model->load("model.embed_tokens.weight");
    model->m_norm = model->load("model.norm.weight");
    if (model->m_checkpoint->contains("lm_head.weight"))
        model->m_lmHead = model->load("lm_head.weight");
    else if (model->m_spec.tieWordEmbeddings)
        model->m_lmHead = model->m_embedding;
    else
        fail("{}: tensor 'lm_head.weight' not found and tie_word_embeddings is false", path.string());
    return model;
}

torch::Tensor MoeModel::load(const std::string& name) const
{
    return loadTensor(*m_checkpoint, name, m_options.dtype, m_options.device);
}

torch::Tensor MoeModel::loadOptional(const std::string& name) const
{
    return m_checkpoint->contains(name) ? load(name) : torch::Tensor();
}

Linear MoeModel::loadLinear(const std::string& prefix) const
{
    Linear l;
    l.weight = load(prefix + ".weight");
    l.bias = loadOptional(prefix + ".bias");
    return l;
}

SwiGlu MoeModel::loadSwiGlu(const std::string& prefix, const NamingSpec& names) const
{
    return SwiGlu{loadLinear(prefix + names.gateProj), loadLinear(prefix + names.upProj),
                  loadLinear(prefix + names.downProj)};
}

AttentionWeights MoeModel::loadAttention(const std::string& p) const
{
    AttentionWeights a;
    const auto& spec = m_spec.attention;
    if (spec.kind == AttentionKind::Mla) {
        if (spec.qLoraRank > 0) {
            a.qA = loadLinear(p + "q_a_proj");
            a.qANorm = load(p + "q_a_layernorm.weight");
            a.qB = loadLinear(p + "q_b_proj");
        } else {
            a.q = loadLinear(p + "q_proj");
        }
        a.kvA = loadLinear(p + "kv_a_proj_with_mqa");
        a.kvANorm = load(p + "kv_a_layernorm.weight");
        a.kvB = loadLinear(p + "kv_b_proj");
        a.o = loadLinear(p + "o_proj");
        return a;
    }
    a.q = loadLinear(p + "q_proj");
    a.k = loadLinear(p + "k_proj");
    a.v = loadLinear(p + "v_proj");
    a.o = loadLinear(p + "o_proj");
    if (spec.qkNorm != QkNorm::None) {
        a.qNorm = load(p + "q_norm.weight");
        a.kNorm = load(p + "k_norm.weight");
    }
    return a;
}

MoeWeights MoeModel::loadMoe(int i, const LayerSpec& layer) const
{
    const auto& names = m_spec.naming;
    const std::string p = layerPrefix(i) + names.moePrefix + ".";
    MoeWeights m;
    m.router = load(p + "gate.weight");
    const std::string fused = p + "experts.gate_up_proj";
    if (m_checkpoint->contains(fused)) {
        // transformers v5 layout: gate_up_proj [E, 2f, d] (gate rows first), down_proj [E, d, f].
        auto gateUp = load(fused);
        auto down = load(p + "experts.down_proj");
        const int64_t f = gateUp.size(1) / 2;
        for (int e = 0; e < layer.numExperts; ++e) {
            SwiGlu expert;
            expert.gate.weight = gateUp[e].narrow(0, 0, f).contiguous();
            expert.up.weight = gateUp[e].narrow(0, f, f).contiguous();
            expert.down.weight = down[e].contiguous();
            m.experts.push_back(std::move(expert));
        }
    } else {
        for (int e = 0; e < layer.numExperts; ++e)
            m.experts.push_back(loadSwiGlu(p + "experts." + std::to_string(e) + ".", names));
    }
    m.expertIds.resize(static_cast<size_t>(layer.numExperts));
    for (int e = 0; e < layer.numExperts; ++e)
        m.expertIds[static_cast<size_t>(e)] = e;
    if (layer.shared.count > 0) {
        m.shared = loadSwiGlu(p + names.sharedPrefix + ".", names);
        if (layer.shared.gated)
            m.sharedGate = load(p + "shared_expert_gate.weight");
    }
    return m;
}

DecoderLayerWeights MoeModel::layer(int i) const
{
    if (auto it = m_resident.find(i); it != m_resident.end())
        return it->second;
    const auto& ls = m_spec.layers.at(static_cast<size_t>(i));
    const std::string p = layerPrefix(i);
    DecoderLayerWeights w;
    w.index = i;
    w.inputNorm = load(p + "input_layernorm.weight");
    w.postAttentionNorm = load(p + "post_attention_layernorm.weight");
    w.attention = loadAttention(p + "self_attn.");
    if (ls.kind == LayerKind::Dense)
        w.dense = loadSwiGlu(p + "mlp.", NamingSpec{});  // dense MLPs use gate/up/down_proj everywhere
    else
        w.moe = loadMoe(i, ls);
    return w;
}

void MoeModel::releaseLayerPages(int i) const
{
    const std::string p = layerPrefix(i);
    for (const auto& name : m_checkpoint->names())
        if (name.compare(0, p.size(), p) == 0)
            m_checkpoint->release(name);
}

void MoeModel::makeResident()
{
    for (int i = 0; i < m_spec.numLayers; ++i)
        if (!m_resident.count(i)) {
            m_resident.emplace(i, layer(i));
            releaseLayerPages(i);
        }
}

void MoeModel::setLayer(int i, DecoderLayerWeights weights)
{
    weights.index = i;
    m_resident[i] = std::move(weights);
}

std::vector<torch::Tensor> MoeModel::parameters()
{
    makeResident();
    std::vector<torch::Tensor> params;
    auto add = [&](const torch::Tensor& t) {
        if (t.defined())
            params.push_back(t);
    };
    auto addLinear = [&](const Linear& l) {
        add(l.weight);
        add(l.a);
        add(l.b);
        add(l.bias);
    };
    auto addSwiGlu = [&](const SwiGlu& m) {
        addLinear(m.gate);
        addLinear(m.up);
        addLinear(m.down);
    };
    add(m_embedding);
    add(m_norm);
    if (!m_spec.tieWordEmbeddings || !m_lmHead.is_same(m_embedding))
        add(m_lmHead);
    for (auto& [i, w] : m_resident) {
        add(w.inputNorm);
        add(w.postAttentionNorm);
        const auto& a = w.attention;
        for (const Linear* l : {&a.q, &a.k, &a.v, &a.o, &a.qA, &a.qB, &a.kvA, &a.kvB})
            addLinear(*l);
        add(a.qNorm);
        add(a.kNorm);
        add(a.qANorm);
        add(a.kvANorm);
        if (w.dense)
            addSwiGlu(*w.dense);
        if (w.moe) {
            add(w.moe->router);
            for (const auto& e : w.moe->experts)
                addSwiGlu(e);
            if (w.moe->shared)
                addSwiGlu(*w.moe->shared);
            add(w.moe->sharedGate);
        }
    }
    for (auto& p : params)
        p.requires_grad_(true);
    return params;
}

torch::Tensor MoeModel::embed(const torch::Tensor& ids) const
{
    return torch::embedding(m_embedding, ids.to(m_options.device));
}

torch::Tensor MoeModel::finalNorm(const torch::Tensor& h) const { return rmsNorm(h, m_norm, m_spec.rmsNormEps); }

torch::Tensor MoeModel::head(const torch::Tensor& normed) const { return torch::linear(normed, m_lmHead); }

AttentionContext MoeModel::attentionContext(const torch::Tensor& attentionMask, int64_t batch, int64_t length) const
{
    return m_attention->context(attentionMask, batch, length, m_options.dtype, m_options.device);
}

torch::Tensor MoeModel::runLayer(const DecoderLayerWeights& w, const torch::Tensor& x, const AttentionContext& ctx,
                                 const LayerOverride* ov, LayerTrace* trace) const
{
    if (ov && ov->skipLayer)
        return x;
    const double eps = m_spec.rmsNormEps;
    auto h = x + m_attention->forward(w.attention, rmsNorm(x, w.inputNorm, eps), ctx);
    if (trace) {
        trace->input = x;
        trace->residual = h;
    }
    if ((ov && ov->skipMlp) || w.moeDropped)
        return h;
    const int64_t B = h.size(0), T = h.size(1), d = h.size(2);
    auto normed = rmsNorm(h, w.postAttentionNorm, eps).reshape({B * T, d});
    torch::Tensor y;
    if (w.dense) {
        y = (*w.dense)(normed);
    } else {
        const auto& ls = m_spec.layers.at(static_cast<size_t>(w.index));
        torch::Tensor removed;
        if (ov && !ov->removedExperts.empty()) {
            std::vector<int> kept;
            const auto& ids = w.moe->expertIds;
            for (int e : ov->removedExperts) {
                auto it = std::find(ids.begin(), ids.end(), e);
                if (it != ids.end())
                    kept.push_back(static_cast<int>(it - ids.begin()));
            }
            removed = boolMask(static_cast<int64_t>(ids.size()), kept);
        }
        MoeTrace moeTrace;
        y = moeForward(m_spec, ls, *w.moe, normed, removed, trace ? &moeTrace : nullptr);
        if (trace)
            trace->moe = std::move(moeTrace);
    }
    if (trace) {
        trace->mlpInput = normed;
        trace->mlpOutput = y;
    }
    return h + y.view({B, T, d});
}

ForwardResult MoeModel::forward(const torch::Tensor& inputs, const torch::Tensor& attentionMask,
                                const ForwardOptions& options) const
{
    std::optional<torch::NoGradGuard> noGrad;
    if (!options.enableGrad)
        noGrad.emplace();
    ForwardResult result;
    const int last = options.lastLayer < 0 ? m_spec.numLayers : std::min(options.lastLayer, m_spec.numLayers);
    torch::Tensor h = options.firstLayer == 0 ? embed(inputs) : inputs.to(m_options.device, m_options.dtype);
    const int64_t B = h.size(0), T = h.size(1);
    auto ctx = attentionContext(attentionMask, B, T);
    for (int i = options.firstLayer; i < last; ++i) {
        if (options.hiddenStates)
            result.hiddenStates.push_back(h);
        const bool streamed = !m_resident.count(i);
        auto w = layer(i);
        const LayerOverride* ov = nullptr;
        if (auto it = options.overrides.find(i); it != options.overrides.end())
            ov = &it->second;
        LayerTrace trace;
        const bool wantTrace = options.onLayer || (options.routerLogits && w.moe);
        h = runLayer(w, h, ctx, ov, wantTrace ? &trace : nullptr);
        trace.layer = i;
        trace.weights = &w;
        trace.output = h;
        if (options.routerLogits && trace.moe)
            result.routerLogits[i] = trace.moe->logits;
        if (options.onLayer)
            options.onLayer(trace);
        if (streamed)
            releaseLayerPages(i);
        if (options.progress && !options.progress(double(i + 1 - options.firstLayer) / (last - options.firstLayer)))
            throw Cancelled();
    }
    result.hidden = h;
    if (last == m_spec.numLayers) {
        auto normed = finalNorm(h);
        if (options.hiddenStates)
            result.hiddenStates.push_back(normed);
        result.logits = head(normed);
    }
    return result;
}

} // namespace moewb
