#include "core/model/moe_model.h"

#include "core/io/error.h"
#include "core/io/tensor_layout.h"
#include "core/io/warning.h"
#include "core/model/ops.h"

#include <torch/types.h>
#include <torch/utils.h>

namespace moewb {

namespace {

torch::Tensor boolMask(int64_t size, const std::vector<int>& positions)
{
    auto mask = torch::zeros({size}, torch::kBool);
    for (int p : positions)
        mask[p] = true;
    return mask;
}

// "<x>.weight" -> "<x>.bias"
std::string biasName(const std::string& weightName)
{
    return weightName.substr(0, weightName.size() - std::string(".weight").size()) + ".bias";
}

} // namespace

std::unique_ptr<MoeModel> MoeModel::open(const std::filesystem::path& path, ComputeOptions options,
                                         const std::function<void(ModelSpec&)>& adjustSpec)
{
    std::unique_ptr<MoeModel> model(new MoeModel);
    // Absolute, so the sessions, exports and GUI comparisons that keep model.path() still find the
    // model from another working directory. Messages below keep the path as the user wrote it.
    std::filesystem::path absolute = std::filesystem::absolute(path).lexically_normal();
    if (!absolute.has_filename() && absolute.has_parent_path())
        absolute = absolute.parent_path(); // "models/qwen/" -> ".../models/qwen"
    model->m_path = absolute;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        fail("{}: no such model folder", path.string());
    model->m_spec = loadModelSpec(path / "config.json");
    if (adjustSpec)
        adjustSpec(model->m_spec);
    model->m_checkpoint = Checkpoint::open(path);
    // Every tensor present with the shape the config implies, before any is used.
    const auto validation = validateCheckpoint(model->m_spec, *model->m_checkpoint);
    if (const auto unused = unusedLayersWarning(model->m_spec, validation, (path / "config.json").string());
        !unused.empty())
        warnOnce(unused);
    model->m_options = options;
    model->m_attention = std::make_unique<Attention>(model->m_spec);
    model->m_embedding = model->load(embeddingName());
    model->m_norm = model->load(finalNormName());
    if (model->m_checkpoint->contains(lmHeadName()))
        model->m_lmHead = model->load(lmHeadName());
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

Linear MoeModel::loadLinear(const std::string& weightName) const
{
    Linear l;
    l.weight = load(weightName);
    l.bias = loadOptional(biasName(weightName));
    return l;
}

SwiGlu MoeModel::loadSwiGlu(const std::function<std::string(Proj)>& name) const
{
    return SwiGlu{loadLinear(name(Proj::Gate)), loadLinear(name(Proj::Up)), loadLinear(name(Proj::Down))};
}

AttentionWeights MoeModel::loadAttention(int layer) const
{
    AttentionWeights a;
    const auto& spec = m_spec.attention;
    auto name = [layer](AttnTensor t) { return attentionName(layer, t); };
    if (spec.kind == AttentionKind::Mla) {
        if (spec.qLoraRank > 0) {
            a.qA = loadLinear(name(AttnTensor::QA));
            a.qANorm = load(name(AttnTensor::QANorm));
            a.qB = loadLinear(name(AttnTensor::QB));
        } else {
            a.q = loadLinear(name(AttnTensor::Q));
        }
        a.kvA = loadLinear(name(AttnTensor::KvA));
        a.kvANorm = load(name(AttnTensor::KvANorm));
        a.kvB = loadLinear(name(AttnTensor::KvB));
        a.o = loadLinear(name(AttnTensor::O));
        return a;
    }
    a.q = loadLinear(name(AttnTensor::Q));
    a.k = loadLinear(name(AttnTensor::K));
    a.v = loadLinear(name(AttnTensor::V));
    a.o = loadLinear(name(AttnTensor::O));
    if (spec.qkNorm != QkNorm::None) {
        a.qNorm = load(name(AttnTensor::QNorm));
        a.kNorm = load(name(AttnTensor::KNorm));
    }
    return a;
}

MoeWeights MoeModel::loadMoe(int i, const LayerSpec& layer) const
{
    MoeWeights m;
    const std::string fused = fusedGateUpName(m_spec, i);
    const ExpertLayout layout = m_checkpoint->contains(fused) ? ExpertLayout::FusedV5 : ExpertLayout::PerExpert;
    if (!layer.condensed)
        m.router = load(routerName(m_spec, i, layout));
    if (layout == ExpertLayout::FusedV5) {
        // transformers v5 layout: gate_up_proj [E, 2f, d] (gate rows first), down_proj [E, d, f].
        auto gateUp = load(fused);
        auto down = load(fusedDownName(m_spec, i));
        const int64_t f = gateUp.size(1) / 2;
        for (int e = 0; e < layer.numExperts; ++e) {
            SwiGlu expert;
            expert.gate.weight = gateUp[e].narrow(0, 0, f).contiguous();
            expert.up.weight = gateUp[e].narrow(0, f, f).contiguous();
            expert.down.weight = down[e].contiguous();
            m.experts.push_back(std::move(expert));
        }
    } else {
        for (int e = 0; e < layer.numExperts; ++e) {
            if (layer.expertRanks.count(e)) {
                // Extended export format: W ~ weight_a weight_b, kept as two matmuls.
                SwiGlu expert;
                for (auto [p, l] : {std::pair{Proj::Gate, &expert.gate}, {Proj::Up, &expert.up}, {Proj::Down, &expert.down}}) {
                    l->a = load(factoredExpertProjName(m_spec, i, e, p, true));
                    l->b = load(factoredExpertProjName(m_spec, i, e, p, false));
                }
                m.experts.push_back(std::move(expert));
            } else {
                m.experts.push_back(loadSwiGlu([&](Proj p) { return expertProjName(m_spec, i, e, p); }));
            }
        }
    }
    m.condensed = layer.condensed;
    m.condensedWeights = layer.condensedWeights;
    m.expertIds.resize(static_cast<size_t>(layer.numExperts));
    for (int e = 0; e < layer.numExperts; ++e)
        m.expertIds[static_cast<size_t>(e)] = e;
    if (layer.shared.count > 0) {
        m.shared = loadSwiGlu([&](Proj p) { return sharedExpertProjName(m_spec, i, p); });
        if (layer.shared.gated)
            m.sharedGate = load(sharedExpertGateName(i));
    }
    return m;
}

DecoderLayerWeights MoeModel::layer(int i) const
{
    if (auto it = m_resident.find(i); it != m_resident.end())
        return it->second;
    const auto& ls = m_spec.layers.at(static_cast<size_t>(i));
    DecoderLayerWeights w;
    w.index = i;
    w.inputNorm = load(inputNormName(i));
    if (!ls.mlpDropped) // extended export format: Layer Drop has no norm and no MLP
        w.postAttentionNorm = load(postAttentionNormName(i));
    w.attention = loadAttention(i);
    w.moeDropped = ls.mlpDropped;
    if (!ls.mlpDropped && ls.kind == LayerKind::Dense)
        w.dense = loadSwiGlu([i](Proj p) { return denseMlpProjName(i, p); });
    else if (!ls.mlpDropped)
        w.moe = loadMoe(i, ls);
    if (m_transform)
        m_transform(w);
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

void MoeModel::setLayerTransform(std::function<void(DecoderLayerWeights&)> transform)
{
    m_transform = std::move(transform);
}

void MoeModel::setLayer(int i, DecoderLayerWeights weights)
{
    weights.index = i;
    m_resident[i] = std::move(weights);
}

void visitLayerLinears(const ModelSpec& spec, DecoderLayerWeights& w,
                       const std::function<void(const std::string&, Linear&)>& fn)
{
    const int i = w.index;
    auto addSwiGlu = [&](const std::function<std::string(Proj)>& name, SwiGlu& m) {
        fn(name(Proj::Gate), m.gate);
        fn(name(Proj::Up), m.up);
        fn(name(Proj::Down), m.down);
    };
    auto& a = w.attention;
    const std::pair<AttnTensor, Linear*> linears[] = {
        {AttnTensor::Q, &a.q},   {AttnTensor::K, &a.k},   {AttnTensor::V, &a.v},     {AttnTensor::O, &a.o},
        {AttnTensor::QA, &a.qA}, {AttnTensor::QB, &a.qB}, {AttnTensor::KvA, &a.kvA}, {AttnTensor::KvB, &a.kvB}};
    for (const auto& [kind, l] : linears)
        if (l->defined())
            fn(attentionName(i, kind), *l);
    if (w.dense)
        addSwiGlu([i](Proj p) { return denseMlpProjName(i, p); }, *w.dense);
    if (w.moe) {
        for (size_t e = 0; e < w.moe->experts.size(); ++e)
            addSwiGlu([&](Proj p) { return expertProjName(spec, i, w.moe->expertIds[e], p); }, w.moe->experts[e]);
        if (w.moe->shared)
            addSwiGlu([&](Proj p) { return sharedExpertProjName(spec, i, p); }, *w.moe->shared);
    }
}

void visitLayerTensors(const ModelSpec& spec, DecoderLayerWeights& w,
                       const std::function<void(const std::string&, torch::Tensor&)>& fn)
{
    const int i = w.index;
    auto add = [&](const std::string& name, torch::Tensor& t) {
        if (t.defined())
            fn(name, t);
    };
    add(inputNormName(i), w.inputNorm);
    add(postAttentionNormName(i), w.postAttentionNorm);
    visitLayerLinears(spec, w, [&](const std::string& weightName, Linear& l) {
        add(weightName, l.weight);
        add(weightName + "#a", l.a); // factored W ~ A B: not checkpoint names
        add(weightName + "#b", l.b);
        add(biasName(weightName), l.bias);
    });
    auto& a = w.attention;
    add(attentionName(i, AttnTensor::QNorm), a.qNorm);
    add(attentionName(i, AttnTensor::KNorm), a.kNorm);
    add(attentionName(i, AttnTensor::QANorm), a.qANorm);
    add(attentionName(i, AttnTensor::KvANorm), a.kvANorm);
    if (w.moe) {
        add(routerName(spec, i), w.moe->router);
        add(sharedExpertGateName(i), w.moe->sharedGate);
    }
}

std::vector<std::pair<std::string, torch::Tensor>> MoeModel::namedParameters()
{
    makeResident();
    std::vector<std::pair<std::string, torch::Tensor>> params;
    auto add = [&](const std::string& name, torch::Tensor& t) {
        if (t.defined())
            params.emplace_back(name, t);
    };
    add(embeddingName(), m_embedding);
    add(finalNormName(), m_norm);
    if (!m_lmHead.is_same(m_embedding))
        add(lmHeadName(), m_lmHead);
    for (auto& [i, w] : m_resident)
        visitLayerTensors(m_spec, w, add);
    return params;
}

std::vector<torch::Tensor> MoeModel::parameters()
{
    std::vector<torch::Tensor> params;
    for (auto& [name, t] : namedParameters())
        params.push_back(t.requires_grad_(true));
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
    if ((ov && ov->skipLayer) || w.blockDropped)
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
            removed = boolMask(static_cast<int64_t>(ids.size()), kept).to(normed.device());
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
