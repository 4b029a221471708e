// Resolving a plan against a ModelSpec: applies the steps in order to a per-layer description of
// the resulting model and collects every problem, so the GUI can list them all at once.
#include "core/plan/plan.h"

#include "core/io/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace moewb {
namespace {

template <class... Fs> struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs> Overloaded(Fs...) -> Overloaded<Fs...>;

bool contains(const std::vector<int>& v, int x)
{
    return std::find(v.begin(), v.end(), x) != v.end();
}

bool validPattern(const std::string& pattern)
{
    if (pattern == "unstructured")
        return true;
    int n = 0, m = 0;
    char tail = 0;
    return std::sscanf(pattern.c_str(), "%d:%d%c", &n, &m, &tail) == 2 && n > 0 && m >= n;
}

class Resolver {
public:
    Resolver(const ModelSpec& spec, std::vector<std::string>& problems)
        : m_spec(spec)
        , m_problems(problems)
    {
        m_out.layers.resize(spec.layers.size());
        for (size_t i = 0; i < spec.layers.size(); ++i)
            if (spec.layers[i].kind == LayerKind::Moe)
                for (int e = 0; e < spec.layers[i].numExperts; ++e)
                    m_out.layers[i].experts.push_back(e);
    }

    void apply(size_t index, const PlanStep& step)
    {
        m_where = fmt::format("step {} ({}", index + 1, stepName(step));
        m_layer = -1;
        std::visit(
            Overloaded{[&](const RemoveExperts& s) { remove(s); }, [&](const FactorExperts& s) { factor(s); },
                [&](const DropMoeSublayer& s) { dropMoe(s); }, [&](const DropBlock& s) { dropBlock(s); },
                [&](const CondenseLayer& s) { condense(s); }, [&](const SparsifyMatrix& s) { sparsify(s); },
                [&](const ApplyDelta& s) { delta(s); }},
            step);
    }

    ResolvedPlan take() { return std::move(m_out); }

private:
    template <typename... Args> void problem(fmt::format_string<Args...> format, Args&&... args)
    {
        const std::string layer = m_layer >= 0 ? fmt::format(", layer {}", m_layer) : std::string();
        m_problems.push_back(
            fmt::format("{}{}): {}", m_where, layer, fmt::format(format, std::forward<Args>(args)...)));
    }

    // Checks the layer index and that the layer still has a MoE block to work on.
    ResolvedLayer* moeLayer(int layer)
    {
        if (layer < 0 || layer >= static_cast<int>(m_spec.layers.size())) {
            problem("layer index {} out of range (the model has {} layers)", layer, m_spec.layers.size());
            return nullptr;
        }
        m_layer = layer;
        ResolvedLayer& out = m_out.layers[static_cast<size_t>(layer)];
        if (m_spec.layers[static_cast<size_t>(layer)].kind != LayerKind::Moe)
            problem("layer {} is a dense MLP layer, not a MoE layer", layer);
        else if (out.blockDropped)
            problem("the whole layer was dropped by an earlier step");
        else if (out.moeDropped)
            problem("the MoE sublayer was dropped by an earlier step");
        else
            return &out;
        return nullptr;
    }

    const LayerSpec& spec(int layer) const { return m_spec.layers[static_cast<size_t>(layer)]; }

    void remove(const RemoveExperts& s)
    {
        ResolvedLayer* out = moeLayer(s.layer);
        if (!out)
            return;
        if (out->condensed)
            return problem("the layer was condensed by an earlier step (it has no router left)");
        std::set<int> seen;
        for (int e : s.experts) {
            if (e < 0 || e >= spec(s.layer).numExperts)
                problem("expert {} out of range (the layer has {} experts)", e, spec(s.layer).numExperts);
            else if (!seen.insert(e).second)
                problem("expert {} listed twice", e);
            else if (!contains(out->experts, e))
                problem("expert {} was already removed", e);
            else {
                std::erase(out->experts, e);
                out->ranks.erase(e);
                out->factors.erase(e);
                std::erase_if(out->sparsity, [e](const SparsifyMatrix& m) { return m.expert == e; });
            }
        }
        const int kept = static_cast<int>(out->experts.size());
        if (kept < spec(s.layer).topK)
            problem("only {} experts would remain, fewer than top-k = {}", kept, spec(s.layer).topK);
    }

    void factor(const FactorExperts& s)
    {
        ResolvedLayer* out = moeLayer(s.layer);
        if (!out)
            return;
        const int maxRank = std::min(m_spec.hiddenSize, spec(s.layer).expertWidth);
        std::set<int> seen;
        for (const ExpertRank& r : s.ranks) {
            if (!seen.insert(r.expert).second)
                problem("expert {} listed twice", r.expert);
            else if (!contains(out->experts, r.expert))
                problem("expert {} is not in the layer (removed or out of range)", r.expert);
            else if (out->ranks.count(r.expert))
                problem("expert {} was already factored by an earlier step", r.expert);
            else if (r.rank < 1 || r.rank > maxRank)
                problem("rank {} for expert {} outside [1, {}]", r.rank, r.expert, maxRank);
            else if (std::any_of(out->sparsity.begin(), out->sparsity.end(),
                         [&](const SparsifyMatrix& m) { return m.expert == r.expert; }))
                problem("expert {} carries a sparsity mask; factor before sparsifying", r.expert);
            else {
                out->ranks[r.expert] = r;
                out->factors[r.expert] = s.factors;
            }
        }
    }

    void dropMoe(const DropMoeSublayer& s)
    {
        ResolvedLayer* out = moeLayer(s.layer);
        if (!out)
            return;
        if (out->condensed)
            return problem("the layer was condensed by an earlier step");
        *out = ResolvedLayer{};
        out->moeDropped = true;
    }

    void dropBlock(const DropBlock& s)
    {
        if (s.layer < 0 || s.layer >= static_cast<int>(m_spec.layers.size()))
            return problem(
                "layer index {} out of range (the model has {} layers)", s.layer, m_spec.layers.size());
        m_layer = s.layer;
        ResolvedLayer& out = m_out.layers[static_cast<size_t>(s.layer)];
        if (out.blockDropped)
            return problem("the layer was already dropped");
        out = ResolvedLayer{};
        out.blockDropped = true;
        if (m_out.keptLayers() == 0)
            problem("no decoder layer would remain");
    }

    void condense(const CondenseLayer& s)
    {
        ResolvedLayer* out = moeLayer(s.layer);
        if (!out)
            return;
        if (out->condensed)
            return problem("the layer was already condensed");
        if (s.weights.size() != s.keptExperts.size())
            return problem("{} weights for {} kept experts", s.weights.size(), s.keptExperts.size());
        if (s.keptExperts.empty() && spec(s.layer).shared.count == 0)
            problem("keeping no routed expert needs shared experts, and this layer has none");
        std::vector<std::pair<int, double>> kept;
        for (size_t i = 0; i < s.keptExperts.size(); ++i) {
            const int e = s.keptExperts[i];
            if (!contains(out->experts, e))
                problem("kept expert {} is not in the layer (removed or out of range)", e);
            else if (std::any_of(kept.begin(), kept.end(), [e](const auto& k) { return k.first == e; }))
                problem("kept expert {} listed twice", e);
            else if (!std::isfinite(s.weights[i]))
                problem("weight of kept expert {} is not finite", e);
            else
                kept.emplace_back(e, s.weights[i]);
        }
        std::sort(kept.begin(), kept.end());
        out->condensed = true;
        out->experts.clear();
        out->condensedWeights.clear();
        for (const auto& [e, w] : kept) {
            out->experts.push_back(e);
            out->condensedWeights.push_back(w);
        }
        std::erase_if(out->ranks, [&](const auto& r) { return !contains(out->experts, r.first); });
        std::erase_if(out->factors, [&](const auto& r) { return !contains(out->experts, r.first); });
        std::erase_if(out->sparsity,
            [&](const SparsifyMatrix& m) { return m.expert >= 0 && !contains(out->experts, m.expert); });
    }

    void sparsify(const SparsifyMatrix& s)
    {
        ResolvedLayer* out = moeLayer(s.layer);
        if (!out)
            return;
        int64_t numel = 0;
        if (s.expert == -1) {
            if (spec(s.layer).shared.count == 0)
                return problem("expert -1 means the shared expert, and this layer has none");
            numel = int64_t{m_spec.hiddenSize} * spec(s.layer).shared.intermediateSize;
        } else if (!contains(out->experts, s.expert)) {
            return problem("expert {} is not in the layer (removed or out of range)", s.expert);
        } else if (out->ranks.count(s.expert)) {
            return problem("expert {} is factored; a mask over its dense matrix does not apply", s.expert);
        } else {
            numel = int64_t{m_spec.hiddenSize} * spec(s.layer).expertWidth;
        }
        if (s.maskTensor.empty())
            problem("no mask tensor named");
        if (!validPattern(s.pattern))
            problem("sparsity pattern '{}' is neither 'unstructured' nor 'N:M'", s.pattern);
        if (s.nonZeros < 0 || s.nonZeros > numel)
            problem("{} non-zeros for a matrix of {} weights", s.nonZeros, numel);
        if (std::any_of(out->sparsity.begin(), out->sparsity.end(),
                [&](const SparsifyMatrix& m) { return m.expert == s.expert && m.matrix == s.matrix; }))
            problem("expert {} {} already has a mask", s.expert, matrixName(s.matrix));
        else
            out->sparsity.push_back(s);
    }

    void delta(const ApplyDelta& s)
    {
        m_layer = -1;
        const size_t want = s.kind == DeltaKind::Dense ? 1 : 2;
        if (s.parameter.empty())
            problem("no parameter named");
        if (s.tensors.size() != want
            || std::any_of(s.tensors.begin(), s.tensors.end(), [](const auto& t) { return t.empty(); }))
            problem("a {} delta needs {} tensor name(s)", s.kind == DeltaKind::Dense ? "dense" : "low-rank",
                want);
        if (!std::isfinite(s.scale))
            problem("scale is not finite");
        m_out.deltas.push_back(s);
    }

    const ModelSpec& m_spec;
    std::vector<std::string>& m_problems;
    ResolvedPlan m_out;
    std::string m_where;
    int m_layer = -1;
};

ResolvedPlan resolve(const ModelSpec& spec, const Plan& plan, std::vector<std::string>& problems)
{
    Resolver resolver(spec, problems);
    for (size_t i = 0; i < plan.steps.size(); ++i)
        resolver.apply(i, plan.steps[i]);
    return resolver.take();
}

} // namespace

int ResolvedPlan::keptLayers() const
{
    return static_cast<int>(
        std::count_if(layers.begin(), layers.end(), [](const auto& l) { return !l.blockDropped; }));
}

std::vector<std::string> Plan::tensorReferences() const
{
    std::vector<std::string> names;
    for (const PlanStep& step : steps) {
        if (const auto* s = std::get_if<SparsifyMatrix>(&step))
            names.push_back(s->maskTensor);
        else if (const auto* d = std::get_if<ApplyDelta>(&step))
            names.insert(names.end(), d->tensors.begin(), d->tensors.end());
        else if (const auto* f = std::get_if<FactorExperts>(&step); f && !f->factors.empty())
            for (const ExpertRank& r : f->ranks)
                for (Proj p : {Proj::Gate, Proj::Up, Proj::Down})
                    for (bool a : {true, false})
                        names.push_back(factorTensorName(f->factors, r.expert, p, a));
    }
    return names;
}

std::string factorTensorName(const std::string& prefix, int expert, Proj matrix, bool a)
{
    return fmt::format("{}/expert{:03d}/{}/{}", prefix, expert, matrixName(matrix), a ? "a" : "b");
}

std::vector<std::string> validatePlan(const ModelSpec& spec, const Plan& plan)
{
    std::vector<std::string> problems;
    resolve(spec, plan, problems);
    return problems;
}

ResolvedPlan resolvePlan(const ModelSpec& spec, const Plan& plan)
{
    std::vector<std::string> problems;
    ResolvedPlan resolved = resolve(spec, plan, problems);
    if (!problems.empty()) {
        std::string message = fmt::format("plan '{}' does not fit the model ({} problem{}):", plan.name,
            problems.size(), problems.size() == 1 ? "" : "s");
        for (const std::string& p : problems)
            message += "\n  " + p;
        throw Error(message);
    }
    return resolved;
}

Plan composePlans(const ModelSpec& spec, const Plan& first, const Plan& second)
{
    Plan out;
    out.name = first.name + " + " + second.name;
    out.method = first.method == second.method ? first.method : first.method + "+" + second.method;
    out.parameters = {
        {"first", {{"name", first.name}, {"method", first.method}, {"parameters", first.parameters}}},
        {"second", {{"name", second.name}, {"method", second.method}, {"parameters", second.parameters}}}};
    out.steps = first.steps;
    out.steps.insert(out.steps.end(), second.steps.begin(), second.steps.end());
    resolvePlan(spec, out);
    return out;
}

} // namespace moewb
