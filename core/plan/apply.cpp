// Applying a resolved plan to layer weights (core/plan/apply.h).
#include "core/plan/apply.h"

#include "core/io/error.h"
#include "core/io/tensor_layout.h"
#include "core/lowrank/svd.h"
#include "core/model/projection.h"
#include "core/session/session.h"

#include <torch/types.h>

#include <algorithm>
#include <functional>

namespace moewb {

namespace {

torch::Tensor toTorch(const auto& array, torch::ScalarType type)
{
    using T = typename std::decay_t<decltype(array.data)>::value_type;
    auto t = torch::empty(array.shape, torch::TensorOptions().dtype(type));
    std::memcpy(t.data_ptr(), array.data.data(), array.data.size() * sizeof(T));
    return t;
}

template <typename T> Array<T> toArray(const torch::Tensor& tensor)
{
    auto t = tensor.contiguous().cpu();
    Array<T> a;
    a.shape.assign(t.sizes().begin(), t.sizes().end());
    a.data.resize(static_cast<size_t>(t.numel()));
    std::memcpy(a.data.data(), t.data_ptr(), a.data.size() * sizeof(T));
    return a;
}

// The tensor a plan names, in `like`'s dtype and device, with the expected shape.
torch::Tensor fetch(const PlanTensorSource& tensors, const std::string& name, const std::vector<int64_t>& shape,
                    const torch::Tensor& like, const char* what)
{
    if (!tensors)
        fail("the plan needs tensor '{}' ({}), and no tensor store was given", name, what);
    auto t = tensors(name);
    if (t.sizes() != torch::IntArrayRef(shape))
        fail("tensor '{}' ({}) has shape [{}], expected [{}]", name, what, fmt::join(t.sizes(), ", "),
             fmt::join(shape, ", "));
    return t.to(like.device(), like.scalar_type());
}

void factor(Linear& linear, const ExpertRank& rank, const std::string& prefix, int expert, Proj proj,
            const PlanTensorSource& tensors)
{
    const auto& w = linear.weight;
    if (!w.defined())
        fail("expert {} {}: no dense matrix to factor", expert, matrixName(proj));
    const int64_t out = w.size(0), in = w.size(1);
    if (prefix.empty()) {
        if (rank.mode == SvdMode::ActivationAware)
            fail("expert {}: activation-aware factors are computed by the decompose stage; this plan names "
                 "no factor tensors",
                 expert);
        std::tie(linear.a, linear.b) = plainSvdFactors(w, rank.rank);
    } else {
        linear.a = fetch(tensors, factorTensorName(prefix, expert, proj, true), {out, rank.rank}, w, "factor A");
        linear.b = fetch(tensors, factorTensorName(prefix, expert, proj, false), {rank.rank, in}, w, "factor B");
    }
    linear.weight = torch::Tensor();
}

void addDelta(torch::Tensor& target, const ApplyDelta& d, const PlanTensorSource& tensors)
{
    torch::Tensor update;
    if (d.kind == DeltaKind::Dense) {
        update = fetch(tensors, d.tensors[0], target.sizes().vec(), target, "delta");
    } else {
        if (!tensors)
            fail("delta on '{}' needs tensors and no tensor store was given", d.parameter);
        auto b = tensors(d.tensors[0]), a = tensors(d.tensors[1]);
        if (b.dim() != 2 || a.dim() != 2 || b.size(0) != target.size(0) || a.size(1) != target.size(1)
            || b.size(1) != a.size(0))
            fail("low-rank delta on '{}': factors [{}] x [{}] do not make [{}]", d.parameter,
                 fmt::join(b.sizes(), ", "), fmt::join(a.sizes(), ", "), fmt::join(target.sizes(), ", "));
        update = torch::matmul(b.to(torch::kDouble), a.to(torch::kDouble)).to(target.scalar_type());
    }
    target = target + update.to(target.device()) * d.scale;
}

} // namespace

torch::Tensor sessionTensor(const Session& session, const std::string& name)
{
    const auto info = session.arrayInfo("tensors/" + name);
    if (!info)
        fail("{}: the tensor store holds no '{}'", session.path().string(), name);
    switch (info->type) {
    case ElementType::F32: return toTorch(session.tensor<float>(name), torch::kFloat);
    case ElementType::F64: return toTorch(session.tensor<double>(name), torch::kDouble);
    case ElementType::BF16: return toTorch(session.tensor<uint16_t>(name), torch::kBFloat16);
    case ElementType::U8: return toTorch(session.tensor<uint8_t>(name), torch::kUInt8);
    case ElementType::I32: return toTorch(session.tensor<int32_t>(name), torch::kInt);
    case ElementType::I64: return toTorch(session.tensor<int64_t>(name), torch::kLong);
    }
    fail("{}: tensor '{}' has an unknown element type", session.path().string(), name);
}

void putSessionTensor(Session& session, const std::string& name, const torch::Tensor& tensor)
{
    switch (tensor.scalar_type()) {
    case torch::kFloat: return session.putTensor(name, toArray<float>(tensor));
    case torch::kDouble: return session.putTensor(name, toArray<double>(tensor));
    case torch::kBFloat16: return session.putTensor(name, toArray<uint16_t>(tensor));
    case torch::kUInt8: return session.putTensor(name, toArray<uint8_t>(tensor));
    case torch::kBool: return session.putTensor(name, toArray<uint8_t>(tensor.to(torch::kUInt8)));
    case torch::kInt: return session.putTensor(name, toArray<int32_t>(tensor));
    case torch::kLong: return session.putTensor(name, toArray<int64_t>(tensor));
    default: fail("tensor '{}': element type {} cannot be stored", name, c10::toString(tensor.scalar_type()));
    }
}

std::string planTensorPrefix(const std::string& kind, const std::string& planName)
{
    std::string safe = planName;
    for (char& c : safe)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            c = '_';
    return kind + "/" + safe;
}

void claimTensorFolder(const Session& session, const std::string& planName,
                       const std::function<std::string(const std::string&)>& folderOf)
{
    const std::string prefix = folderOf(planName), dir = prefix + "/";
    for (const auto& [name, stored] : session.plans()) {
        if (name == planName || folderOf(name) != prefix)
            continue;
        for (const std::string& tensor : stored.plan.tensorReferences())
            if (tensor.compare(0, dir.size(), dir) == 0)
                fail("plan name '{}' would store its tensors in {}, where plan '{}' keeps its own (the two names "
                     "make the same folder name); choose another name",
                     planName, dir, name);
    }
}

void removeSessionTensors(Session& session, const std::string& prefix)
{
    const std::string dir = prefix + "/";
    for (const auto& name : session.tensorNames())
        if (name.compare(0, dir.size(), dir) == 0)
            session.removeArray("tensors/" + name);
}

PlanTensorSource sessionTensorSource(const Session& session)
{
    return [&session](const std::string& name) { return sessionTensor(session, name); };
}

void applyToLayer(const ModelSpec& spec, const ResolvedLayer& layer, const std::vector<ApplyDelta>& deltas,
                  DecoderLayerWeights& w, const PlanTensorSource& tensors)
{
    const int i = w.index;
    if (layer.blockDropped) {
        const int index = w.index;
        w = DecoderLayerWeights{};
        w.index = index;
        w.blockDropped = true;
        return;
    }
    if (layer.moeDropped) {
        w.moe.reset();
        w.dense.reset();
        w.postAttentionNorm = torch::Tensor();
        w.moeDropped = true;
    }
    if (w.moe) {
        MoeWeights& moe = *w.moe;
        // Surviving experts, in the order of `layer.experts` (ascending source ids).
        std::vector<int64_t> rows;
        std::vector<SwiGlu> experts;
        for (int e : layer.experts) {
            auto it = std::find(moe.expertIds.begin(), moe.expertIds.end(), e);
            if (it == moe.expertIds.end())
                fail("layer {}: expert {} is not in the loaded weights", i, e);
            const auto k = static_cast<size_t>(it - moe.expertIds.begin());
            rows.push_back(static_cast<int64_t>(k));
            experts.push_back(moe.experts[k]);
        }
        if (layer.condensed) {
            moe.router = torch::Tensor();
            moe.condensed = true;
            moe.condensedWeights = layer.condensedWeights;
        } else if (rows.size() != moe.expertIds.size()) {
            auto index = torch::tensor(rows, torch::kLong).to(moe.router.device());
            moe.router = moe.router.index_select(0, index).contiguous();
        }
        moe.experts = std::move(experts);
        moe.expertIds = layer.experts;
        for (const auto& [expert, rank] : layer.ranks) {
            const auto k = static_cast<size_t>(
                std::find(moe.expertIds.begin(), moe.expertIds.end(), expert) - moe.expertIds.begin());
            const auto prefixIt = layer.factors.find(expert);
            const std::string prefix = prefixIt == layer.factors.end() ? std::string() : prefixIt->second;
            for (Proj p : {Proj::Gate, Proj::Up, Proj::Down})
                factor(projection(moe.experts[k], p), rank, prefix, expert, p, tensors);
        }
        for (const SparsifyMatrix& s : layer.sparsity) {
            SwiGlu* mlp = nullptr;
            if (s.expert < 0) {
                mlp = moe.shared ? &*moe.shared : nullptr;
            } else {
                auto it = std::find(moe.expertIds.begin(), moe.expertIds.end(), s.expert);
                if (it != moe.expertIds.end())
                    mlp = &moe.experts[static_cast<size_t>(it - moe.expertIds.begin())];
            }
            if (!mlp)
                fail("layer {}: no expert {} to mask", i, s.expert);
            Linear& l = projection(*mlp, s.matrix);
            auto mask = fetch(tensors, s.maskTensor, l.weight.sizes().vec(), l.weight, "sparsity mask");
            l.weight = l.weight * mask;
        }
    }
    if (deltas.empty())
        return;
    std::map<std::string, const ApplyDelta*> byName;
    for (const ApplyDelta& d : deltas) {
        std::string name = d.parameter;
        if (name.size() > 2 && (name.ends_with(".A") || name.ends_with(".B")))
            name = name.substr(0, name.size() - 2) + (name.back() == 'A' ? "#a" : "#b");
        byName[name] = &d;
    }
    visitLayerTensors(spec, w, [&](const std::string& name, torch::Tensor& t) {
        if (auto it = byName.find(name); it != byName.end())
            addDelta(t, *it->second, tensors);
    });
}

AppliedModelInfo applyPlan(MoeModel& model, const Plan& plan, PlanTensorSource tensors)
{
    if (model.hasLayerTransform())
        fail("{}: a plan is already applied to this model; open it again to apply another", model.path().string());
    const ModelSpec& spec = model.spec();
    const ResolvedPlan resolved = resolvePlan(spec, plan);
    // Deltas on tensors outside the decoder layers (embedding, norm, head) are not supported yet.
    const std::string layersPrefix = "model.layers.";
    for (const ApplyDelta& d : resolved.deltas)
        if (d.parameter.compare(0, layersPrefix.size(), layersPrefix) != 0)
            fail("plan '{}': a delta on '{}' (outside the decoder layers) cannot be applied yet", plan.name,
                 d.parameter);
    auto transform = [&spec, layers = resolved.layers, deltas = resolved.deltas,
                      tensors](DecoderLayerWeights& w) {
        applyToLayer(spec, layers.at(static_cast<size_t>(w.index)), deltas, w, tensors);
    };
    AppliedModelInfo info;
    if (model.resident())
        for (int i = 0; i < spec.numLayers; ++i) {
            auto w = model.layer(i);
            transform(w);
            model.setLayer(i, std::move(w));
        }
    model.setLayerTransform(transform);
    const PlanAccounting accounting = accountPlan(spec, plan);
    info.parameters = accounting.result.total();
    info.weightBytes = accounting.resultBytes;
    info.keptLayers = resolved.keptLayers();
    return info;
}

} // namespace moewb
