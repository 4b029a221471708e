#include "core/compress/condense.h"

#include "core/analysis/calibration.h"
#include "core/compress/condense_target.h"
#include "core/io/error.h"
#include "core/model/moe_block.h"
#include "core/model/ops.h"
#include "core/pipeline/compute_counter.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace moewb {

const char* condenseMetricName(CondenseMetric metric)
{
    return metric == CondenseMetric::HiddenJs ? "js" : "kl";
}

CondenseMetric parseCondenseMetric(const std::string& name)
{
    if (name == "js")
        return CondenseMetric::HiddenJs;
    if (name == "kl")
        return CondenseMetric::NextTokenKl;
    fail("condense: unknown metric '{}' (js or kl)", name);
}

double hiddenJs(const torch::Tensor& a, const torch::Tensor& b)
{
    const int64_t d = a.size(-1);
    auto la = torch::log_softmax(a.reshape({-1, d}).to(torch::kDouble), -1);
    auto lb = torch::log_softmax(b.reshape({-1, d}).to(torch::kDouble), -1);
    auto lm = torch::logaddexp(la, lb) - std::log(2.0);
    auto js = 0.5 * (la.exp() * (la - lm)).sum(-1) + 0.5 * (lb.exp() * (lb - lm)).sum(-1);
    return js.mean().item<double>();
}

double logitsKl(const torch::Tensor& reference, const torch::Tensor& logits)
{
    const int64_t v = reference.size(-1);
    auto lr = torch::log_softmax(reference.reshape({-1, v}).to(torch::kDouble), -1);
    auto lq = torch::log_softmax(logits.reshape({-1, v}).to(torch::kDouble), -1);
    return (lr.exp() * (lr - lq)).sum(-1).mean().item<double>();
}

namespace {

// Runs decoder layers [from, to) over hidden states [n, s, d] in chunks of whole blocks, layer by layer
// (a streamed model materialises each layer once per run); `replaced` layers use the given weights.
struct LayerRunner {
    const MoeModel& model;
    int64_t rowsPerChunk = 1;

    torch::Tensor run(torch::Tensor h, int from, int to, const std::map<int, const DecoderLayerWeights*>& replaced) const
    {
        const int64_t n = h.size(0), s = h.size(1);
        for (int i = from; i < to; ++i) {
            auto it = replaced.find(i);
            DecoderLayerWeights loaded;
            if (it == replaced.end())
                loaded = model.layer(i);
            const DecoderLayerWeights& w = it == replaced.end() ? loaded : *it->second;
            std::vector<torch::Tensor> outputs;
            for (int64_t row = 0; row < n; row += rowsPerChunk) {
                const int64_t rows = std::min(rowsPerChunk, n - row);
                countCompute("layer_chunks"); // tests: the batch tokens reached the pass
                auto ctx = model.attentionContext({}, rows, s);
                outputs.push_back(model.runLayer(w, h.narrow(0, row, rows), ctx));
            }
            h = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 0);
            if (it == replaced.end() && !model.resident())
                model.releaseLayerPages(i);
        }
        return h;
    }

    // The metric between a run's output and the reference output of the same layers, token-weighted
    // over chunks (the next-token KL needs the head, which would not fit for all tokens at once).
    double divergence(const torch::Tensor& out, const torch::Tensor& ref, CondenseMetric metric) const
    {
        if (metric == CondenseMetric::HiddenJs)
            return hiddenJs(out, ref);
        const int64_t n = out.size(0);
        double sum = 0;
        for (int64_t row = 0; row < n; row += rowsPerChunk) {
            const int64_t rows = std::min(rowsPerChunk, n - row);
            auto r = model.head(model.finalNorm(ref.narrow(0, row, rows)));
            auto o = model.head(model.finalNorm(out.narrow(0, row, rows)));
            sum += logitsKl(r, o) * static_cast<double>(rows);
        }
        return sum / static_cast<double>(n);
    }
};

// Layer `w` condensed to `experts` (source ids) with their mean gate weights `gate` (indexed by
// position in w.moe->experts); experts sorted ascending as applyPlan orders them.
DecoderLayerWeights condensedLayer(const DecoderLayerWeights& w, std::vector<int> experts, const std::vector<double>& gate)
{
    std::sort(experts.begin(), experts.end());
    DecoderLayerWeights c = w;
    MoeWeights& moe = *c.moe;
    std::vector<SwiGlu> kept;
    std::vector<double> weights;
    for (int e : experts) {
        const auto k = static_cast<size_t>(std::find(w.moe->expertIds.begin(), w.moe->expertIds.end(), e) -
                                           w.moe->expertIds.begin());
        kept.push_back(w.moe->experts.at(k));
        weights.push_back(gate.at(k));
    }
    moe.router = torch::Tensor();
    moe.experts = std::move(kept);
    moe.expertIds = experts;
    moe.condensed = true;
    moe.condensedWeights = std::move(weights);
    return c;
}

// The greedy expert search of one captured MoE layer (only that layer condensed): k_c rounds, each
// adding the expert whose condensed layer least changes the output of layers [layer, end).
// Attention, the MoE input, the shared experts and the kept experts' outputs do not depend on the
// candidate, so they are computed once (per chunk of whole blocks, exactly as runLayer computes them)
// and each candidate only runs its own expert and layers layer+1 .. end-1 (those loaded once). The
// condensed sublayer is summed as moeForward sums it (kept experts ascending, then the shared ones),
// so a candidate's output is the applied plan's, bit for bit.
CondensedLayerChoice searchExperts(const LayerRunner& runner, const LayerCapture& c, int end, const CondenseOptions& options,
                                   CondenseMetric metric, const std::function<void()>& tick)
{
    const MoeModel& model = runner.model;
    const DecoderLayerWeights& w = *c.weights;
    const MoeWeights& moe = *w.moe;
    const auto& ids = moe.expertIds;
    const auto& gate = c.routing.meanGateWeight;
    const int64_t n = c.blockInput.size(0), s = c.blockInput.size(1), d = c.blockInput.size(2);
    const double eps = model.spec().rmsNormEps;

    // Per chunk: the residual stream after attention, the normed MoE input, the shared experts' output.
    std::vector<torch::Tensor> residual, normed, shared;
    LayerOverride attentionOnly;
    attentionOnly.skipMlp = true;
    for (int64_t row = 0; row < n; row += runner.rowsPerChunk) {
        const int64_t rows = std::min(runner.rowsPerChunk, n - row);
        countCompute("layer_chunks");
        auto ctx = model.attentionContext({}, rows, s);
        residual.push_back(model.runLayer(w, c.blockInput.narrow(0, row, rows), ctx, &attentionOnly));
        normed.push_back(rmsNorm(residual.back(), w.postAttentionNorm, eps).reshape({rows * s, d}));
        shared.push_back(moe.shared ? sharedForward(moe, normed.back()) : torch::Tensor());
    }
    // Layers after the condensed one, loaded once for all candidates.
    std::map<int, DecoderLayerWeights> later;
    std::map<int, const DecoderLayerWeights*> laterPtr;
    for (int i = c.layer + 1; i < end; ++i)
        laterPtr[i] = &later.emplace(i, model.layer(i)).first->second;
    auto withLayer = laterPtr;
    withLayer[c.layer] = &w;
    const auto ref = runner.run(c.blockInput, c.layer, end, withLayer);

    auto position = [&](int e) { return static_cast<size_t>(std::find(ids.begin(), ids.end(), e) - ids.begin()); };
    std::map<int, std::vector<torch::Tensor>> keptOut;  // a kept expert's weighted output, per chunk
    auto weighted = [&](int e, size_t chunk) { return moe.experts.at(position(e))(normed[chunk]) * gate.at(position(e)); };
    auto evaluate = [&](const std::vector<int>& experts, int candidate) {
        std::vector<int> sorted = experts;
        std::sort(sorted.begin(), sorted.end());
        std::vector<torch::Tensor> outputs;
        for (size_t k = 0; k < residual.size(); ++k) {
            const auto& h = residual[k];
            auto y = torch::zeros_like(normed[k]);
            for (int e : sorted)
                y = y + (e == candidate ? weighted(e, k) : keptOut.at(e)[k]);
            if (shared[k].defined())
                y = y + shared[k];
            outputs.push_back(h + y.view({h.size(0), s, d}));
        }
        auto h = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 0);
        if (c.layer + 1 < end)
            h = runner.run(h, c.layer + 1, end, laterPtr);
        const double divergence = runner.divergence(h, ref, metric);
        tick();
        return divergence;
    };

    CondensedLayerChoice choice;
    choice.layer = c.layer;
    choice.divergence.push_back(evaluate({}, -1));
    for (int round = 0; round < options.experts; ++round) {
        int best = -1;
        double bestD = INFINITY;
        for (int e : ids) {
            if (std::find(choice.experts.begin(), choice.experts.end(), e) != choice.experts.end())
                continue;
            auto trial = choice.experts;
            trial.push_back(e);
            const double divergence = evaluate(trial, e);
            if (options.onCandidate)
                options.onCandidate({CondenseCandidate::Stage::Expert, c.layer, e, round, divergence});
            if (divergence < bestD || best < 0) {  // ties keep the lower id (ids ascend)
                best = e;
                bestD = divergence;
            }
        }
        choice.experts.push_back(best);
        choice.divergence.push_back(bestD);
        auto& out = keptOut[best];
        for (size_t k = 0; k < normed.size(); ++k)
            out.push_back(weighted(best, k));
    }
    for (int e : choice.experts)
        choice.weights.push_back(gate.at(position(e)));
    if (!model.resident())
        for (const auto& entry : later)
            model.releaseLayerPages(entry.first);
    return choice;
}

} // namespace

CondenseResult condenseLayers(const MoeModel& model, const torch::Tensor& blocks, const CondenseOptions& options)
{
    const auto& spec = model.spec();
    const auto moeLayers = spec.moeLayerIndices();
    const std::vector<int> candidates = condenseCandidates(spec, options.candidateLayers);
    for (int l : candidates)
        if (std::find(moeLayers.begin(), moeLayers.end(), l) == moeLayers.end())
            fail("condense: layer {} is not a MoE layer of the model", l);
    if (candidates.empty())
        fail("condense: the model has no MoE layer to condense");
    const bool toTarget = options.targetParameters > 0;
    if (!toTarget && (options.layers < 1 || options.layers > static_cast<int>(candidates.size())))
        fail("condense: cannot condense {} layers out of {} candidate MoE layers", options.layers, candidates.size());
    if (options.experts < 0)
        fail("condense: the number of kept experts must be >= 0, got {}", options.experts);
    for (int l : candidates) {
        const auto& ls = spec.layers.at(static_cast<size_t>(l));
        if (options.experts > ls.numExperts)
            fail("condense: layer {} has {} routed experts, cannot keep {}", l, ls.numExperts, options.experts);
        if (options.experts == 0 && ls.shared.count == 0)
            fail("condense: layer {} has no shared expert, so at least one routed expert must be kept", l);
    }
    if (blocks.dim() != 2 || blocks.size(0) == 0 || blocks.size(1) < 2)
        fail("condense: calibration blocks must be [n, s] token ids with n >= 1 and s >= 2");
    // The parameters with `layers` condensed (core/compress/condense_target.h).
    auto paramsWith = [&](const std::vector<int>& layers) { return condensedParameters(spec, layers, options.experts); };
    // Layers the search condenses: `layers`, or with a memory target an estimate for the progress
    // (the fewest layers whose savings reach it; the greedy loop below stops on the target itself).
    int layerCount = options.layers;
    if (toTarget) {
        const uint64_t source = paramsWith({});
        if (smallestCondenseTarget(spec, candidates, options.experts) > options.targetParameters)
            fail("condense: condensing all {} candidate layers leaves {} parameters, above the target {}",
                 candidates.size(), paramsWith(candidates), options.targetParameters);
        std::vector<uint64_t> savings;
        for (int l : candidates)
            savings.push_back(source - paramsWith({l}));
        std::sort(savings.rbegin(), savings.rend());
        uint64_t held = source;
        layerCount = 0;
        while (held > options.targetParameters && layerCount < static_cast<int>(savings.size()))
            held -= savings[static_cast<size_t>(layerCount++)];
        layerCount = std::max(layerCount, 1);
    }

    torch::NoGradGuard noGrad;
    const LayerRunner runner{model, std::max<int64_t>(1, options.batchTokens / blocks.size(1))};
    const CondenseMetric metric = options.metric;
    const int L = spec.numLayers;

    // Progress: the calibration pass with the expert searches, then the layer search, shared by an
    // estimate of the layer forwards each needs.
    const auto K = static_cast<int64_t>(options.experts), C = static_cast<int64_t>(candidates.size());
    const int64_t layerCandidates = layerCount * C - static_cast<int64_t>(layerCount) * (layerCount - 1) / 2;
    const double expertWork = static_cast<double>(C) * static_cast<double>(1 + K * spec.layers.at(static_cast<size_t>(candidates.front())).numExperts) *
                              (metric == CondenseMetric::HiddenJs ? 2.0 : L / 2.0);
    const double layerWork = static_cast<double>(layerCandidates) * L / 2.0;
    const double layerShare = layerWork / (layerWork + expertWork + L);
    auto report = [&](double f) {
        if (options.progress && !options.progress(std::clamp(f, 0.0, 1.0)))
            throw Cancelled();
    };

    CondenseResult result;
    std::map<int, torch::Tensor> blockInput;
    std::map<int, DecoderLayerWeights> condensed;
    const std::set<int> candidateSet(candidates.begin(), candidates.end());

    CalibrationOptions co;
    co.batchTokens = options.batchTokens;
    co.progress = [&](double f) {
        report(f * (1 - layerShare));
        return true;
    };
    co.onLayer = [&](const LayerCapture& c) {
        if (!candidateSet.count(c.layer))
            return;
        blockInput[c.layer] = c.blockInput;
        const int end = metric == CondenseMetric::HiddenJs ? std::min(c.layer + 2, L) : L;
        const int64_t perLayer = static_cast<int64_t>(c.weights->moe->expertIds.size());
        const auto total = static_cast<double>(1 + K * perLayer - K * (K - 1) / 2);
        double done = 0;
        auto choice = searchExperts(runner, c, end, options, metric, [&] {
            if (!c.progress(++done / total))
                throw Cancelled();
        });
        condensed.emplace(c.layer, condensedLayer(*c.weights, choice.experts, c.routing.meanGateWeight));
        result.choices.push_back(std::move(choice));
    };
    runCalibration(model, blocks, co);

    // Greedy layer selection against the original final hidden state, from the first candidate on.
    const int first = candidates.front();
    const auto refFinal = runner.run(blockInput.at(first), first, L, {});
    std::vector<int> chosen;
    double done = 0;
    auto more = [&](int round) {
        return toTarget ? (round == 0 || paramsWith(chosen) > options.targetParameters) : round < options.layers;
    };
    for (int round = 0; more(round); ++round) {
        int best = -1;
        double bestD = INFINITY;
        std::map<int, const DecoderLayerWeights*> replaced;
        for (int c : chosen)
            replaced[c] = &condensed.at(c);
        // Each candidate's run starts at its own layer: below the first chosen layer from the original
        // input; above it from the input the chosen layers give it, one shared prefix run per round.
        std::map<int, torch::Tensor> input = blockInput;
        if (!chosen.empty()) {
            int at = replaced.begin()->first;
            torch::Tensor h = blockInput.at(at);
            for (int l : candidates)
                if (l > at && !replaced.count(l)) {
                    h = runner.run(h, at, l, replaced);
                    input[l] = h;
                    at = l;
                }
        }
        for (int l : candidates) {
            if (replaced.count(l))
                continue;
            auto withCandidate = replaced;
            withCandidate[l] = &condensed.at(l);
            const auto out = runner.run(input.at(l), l, L, withCandidate);
            const double d = runner.divergence(out, refFinal, metric);
            if (options.onCandidate)
                options.onCandidate({CondenseCandidate::Stage::Layer, l, -1, round, d});
            report(1 - layerShare + layerShare * std::min(1.0, ++done / static_cast<double>(layerCandidates)));
            if (d < bestD || best < 0) {
                best = l;
                bestD = d;
            }
        }
        chosen.push_back(best);
        result.layerDivergence.push_back(bestD);
    }
    result.order = chosen;

    Plan& plan = result.plan;
    plan.name = options.planName;
    plan.method = "cd-moe";
    plan.parameters = {{"layers", static_cast<int>(chosen.size())},
                       {"experts", options.experts},
                       {"metric", condenseMetricName(metric)},
                       {"candidate_layers", candidates},
                       {"calibration_blocks", blocks.size(0)},
                       {"sequence_length", blocks.size(1)},
                       {"layer_order", chosen},
                       {"layer_divergence", result.layerDivergence}};
    if (toTarget)
        plan.parameters["target_parameters"] = options.targetParameters;
    for (int l : chosen) {
        const auto& choice = *std::find_if(result.choices.begin(), result.choices.end(),
                                           [l](const CondensedLayerChoice& c) { return c.layer == l; });
        CondenseLayer step{l, choice.experts, choice.weights};
        plan.steps.push_back(step);
    }
    report(1.0);
    return result;
}

} // namespace moewb
