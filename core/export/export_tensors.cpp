// Export, the tensors: each kept layer of the applied model is materialised once, its tensors are
// named as the output config expects (renumbered layers and experts), converted to the export dtype
// and streamed into the shards in manifest order. Nothing is written that the manifest (the output
// config parsed back) does not list, and every listed tensor must come from the model.
#include "core/export/export_internal.h"
#include "core/io/error.h"
#include "core/model/tensor_load.h"

#include <fmt/format.h>
#include <torch/types.h>
#include <torch/utils.h>

namespace moewb::detail {

namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

std::string biasOf(const std::string& weightName)
{
    return weightName.substr(0, weightName.size() - std::string(".weight").size()) + ".bias";
}

void addLinear(TensorMap& out, const std::string& name, const Linear& l, ExportKind kind)
{
    if (!l.defined())
        return;
    if (l.factored()) {
        if (kind == ExportKind::Extended) {
            out[name + "_a"] = l.a;
            out[name + "_b"] = l.b;
        } else if (kind == ExportKind::Dense) {
            out[name] = torch::mm(l.a.to(torch::kDouble), l.b.to(torch::kDouble));
        } else {
            fail("{}: factored, which the standard format cannot hold", name);
        }
    } else {
        out[name] = l.weight;
    }
    if (l.bias.defined())
        out[biasOf(name)] = l.bias;
}

void addSwiGlu(TensorMap& out, const std::function<std::string(Proj)>& name, const SwiGlu& m, ExportKind kind)
{
    addLinear(out, name(Proj::Gate), m.gate, kind);
    addLinear(out, name(Proj::Up), m.up, kind);
    addLinear(out, name(Proj::Down), m.down, kind);
}

// Tensors of source layer `w` under output layer `o`'s names.
TensorMap layerTensors(const ExportPreview& p, int o, const DecoderLayerWeights& w, bool* zeroFill)
{
    const ModelSpec& out = p.spec;
    const LayerSpec& ls = out.layers[static_cast<size_t>(o)];
    TensorMap t;
    t[inputNormName(o)] = w.inputNorm;
    const auto& a = w.attention;
    const std::pair<AttnTensor, const Linear*> linears[] = {{AttnTensor::Q, &a.q}, {AttnTensor::K, &a.k},
        {AttnTensor::V, &a.v}, {AttnTensor::O, &a.o}, {AttnTensor::QA, &a.qA}, {AttnTensor::QB, &a.qB},
        {AttnTensor::KvA, &a.kvA}, {AttnTensor::KvB, &a.kvB}};
    for (const auto& [kind, l] : linears) {
        if (l->factored())
            fail("layer {}: factored attention matrices cannot be exported", w.index);
        addLinear(t, attentionName(o, kind), *l, p.kind);
    }
    const std::pair<AttnTensor, const torch::Tensor*> norms[] = {{AttnTensor::QNorm, &a.qNorm},
        {AttnTensor::KNorm, &a.kNorm}, {AttnTensor::QANorm, &a.qANorm}, {AttnTensor::KvANorm, &a.kvANorm}};
    for (const auto& [kind, n] : norms)
        if (n->defined())
            t[attentionName(o, kind)] = *n;
    *zeroFill = false;
    if (ls.mlpDropped) // extended: no norm, no MLP
        return t;
    t[postAttentionNormName(o)]
        = w.postAttentionNorm.defined() ? w.postAttentionNorm : torch::ones({out.hiddenSize});
    if (w.moeDropped) {
        // Dense kind: the dropped sublayer becomes zero weights, whose output is exactly zero.
        *zeroFill = true;
        return t;
    }
    if (ls.kind == LayerKind::Dense) {
        if (!w.dense)
            fail("layer {}: the applied model has no dense MLP where the config expects one", w.index);
        addSwiGlu(t, [o](Proj pr) { return denseMlpProjName(o, pr); }, *w.dense, p.kind);
        return t;
    }
    if (!w.moe)
        fail("layer {}: the applied model has no MoE block where the config expects one", w.index);
    const MoeWeights& m = *w.moe;
    if (m.condensed != ls.condensed)
        fail("layer {}: the applied model is {}condensed, the plan says otherwise", w.index, m.condensed ? "" : "not ");
    if (static_cast<int>(m.experts.size()) != ls.numExperts)
        fail("layer {}: the applied model keeps {} experts, the plan {}", w.index, m.experts.size(), ls.numExperts);
    if (out.extended && m.expertIds != ls.sourceExperts)
        fail("layer {}: the applied model's experts [{}] differ from the plan's [{}]", w.index,
            fmt::join(m.expertIds, ","), fmt::join(ls.sourceExperts, ","));
    if (!m.condensed)
        t[routerName(out, o)] = m.router;
    for (size_t j = 0; j < m.experts.size(); ++j)
        addSwiGlu(t, [&, o](Proj pr) { return expertProjName(out, o, static_cast<int>(j), pr); }, m.experts[j], p.kind);
    if (m.shared)
        addSwiGlu(t, [&, o](Proj pr) { return sharedExpertProjName(out, o, pr); }, *m.shared, p.kind);
    if (m.sharedGate.defined())
        t[sharedExpertGateName(o)] = m.sharedGate;
    return t;
}

std::vector<int64_t> shapeOf(const torch::Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

} // namespace

torch::ScalarType scalarTypeOf(DType dtype)
{
    return toScalarType(dtype);
}

torch::Tensor globalTensor(const MoeModel& model, const std::string& name)
{
    const DType stored = model.checkpoint().info(name).dtype;
    return loadTensor(model.checkpoint(), name, stored == DType::F64 ? torch::kDouble : torch::kFloat);
}

int writeExportTensors(const MoeModel& applied, const ResolvedPlan& resolved, const ExportPreview& p,
                       CheckpointWeightsWriter& writer, const std::function<bool(double)>& progress)
{
    (void)resolved;
    const torch::ScalarType target = scalarTypeOf(p.dtype);
    int rounded = 0;
    int current = -2;
    bool zeroFill = false;
    TensorMap tensors;
    auto leftovers = [&] {
        if (!tensors.empty())
            fail("layer {}: the applied model holds {} the {} format has no place for (first: '{}')",
                p.keptLayers[static_cast<size_t>(current)], tensors.size() == 1 ? "a tensor" : "tensors",
                exportKindName(p.kind), tensors.begin()->first);
    };
    torch::NoGradGuard noGrad;
    for (size_t k = 0; k < p.manifest.size(); ++k) {
        const TensorEntry& entry = p.manifest[k];
        const int o = p.manifestLayer[k];
        if (o != current) {
            if (current >= 0)
                leftovers();
            tensors.clear();
            current = o;
            if (o >= 0)
                tensors = layerTensors(p, o, applied.layer(p.keptLayers[static_cast<size_t>(o)]), &zeroFill);
        }
        torch::Tensor t;
        if (o < 0) {
            t = globalTensor(applied, entry.name);
        } else if (auto it = tensors.find(entry.name); it != tensors.end()) {
            t = it->second;
            tensors.erase(it);
        } else if (zeroFill) {
            t = torch::zeros(entry.shape, torch::kFloat);
        } else {
            fail("layer {}: the applied model lacks tensor '{}' that the exported config implies",
                p.keptLayers[static_cast<size_t>(o)], entry.name);
        }
        if (shapeOf(t) != entry.shape)
            fail("tensor '{}': the applied model's shape [{}] differs from the exported config's [{}]", entry.name,
                fmt::join(shapeOf(t), ","), fmt::join(entry.shape, ","));
        t = t.detach().to(torch::kCPU);
        auto converted = t.to(target).contiguous();
        if (t.scalar_type() != target && !torch::equal(converted.to(t.scalar_type()), t)) {
            ++rounded;
            if (!torch::isfinite(converted).all().item<bool>() && torch::isfinite(t).all().item<bool>())
                fail("tensor '{}': values beyond the range of {}; export as bf16 or fp32", entry.name,
                    dtypeName(p.dtype));
        }
        writer.write(entry.name, std::span(static_cast<const std::byte*>(converted.data_ptr()),
                                           static_cast<size_t>(converted.nbytes())));
        if (progress && !progress(double(writer.bytesWritten()) / double(std::max<uint64_t>(1, writer.totalBytes()))))
            throw Cancelled();
    }
    if (current >= 0)
        leftovers();
    return rounded;
}

DecoderLayerWeights asWritten(const DecoderLayerWeights& w, const ExportPreview& p)
{
    const torch::ScalarType target = scalarTypeOf(p.dtype);
    auto roundTo = [&](torch::Tensor& t) {
        if (t.defined())
            t = t.to(target).to(t.scalar_type());
    };
    auto linear = [&](Linear& l) {
        if (l.factored() && p.kind == ExportKind::Dense) {
            const auto type = l.a.scalar_type();
            l.weight = torch::mm(l.a.to(torch::kDouble), l.b.to(torch::kDouble)).to(target).to(type);
            l.a = l.b = torch::Tensor();
        }
        roundTo(l.weight);
        roundTo(l.a);
        roundTo(l.b);
        roundTo(l.bias);
    };
    auto swiglu = [&](SwiGlu& m) {
        linear(m.gate);
        linear(m.up);
        linear(m.down);
    };
    DecoderLayerWeights out = w;
    roundTo(out.inputNorm);
    roundTo(out.postAttentionNorm);
    auto& a = out.attention;
    for (Linear* l : {&a.q, &a.k, &a.v, &a.o, &a.qA, &a.qB, &a.kvA, &a.kvB})
        linear(*l);
    for (torch::Tensor* n : {&a.qNorm, &a.kNorm, &a.qANorm, &a.kvANorm})
        roundTo(*n);
    if (out.dense)
        swiglu(*out.dense);
    if (out.moe) {
        roundTo(out.moe->router);
        for (auto& e : out.moe->experts)
            swiglu(e);
        if (out.moe->shared)
            swiglu(*out.moe->shared);
        roundTo(out.moe->sharedGate);
    }
    return out;
}

} // namespace moewb::detail
