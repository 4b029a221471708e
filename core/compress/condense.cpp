// The CD-MoE search (condense.h): the divergences, then condenseLayers (calibration pass with the
// per-layer expert searches of condense_experts.cpp, greedy layer selection, the plan).
#include "core/compress/condense.h"

#include "core/analysis/calibration.h"
#include "core/compress/condense_internal.h"
#include "core/compress/condense_target.h"
#include "core/io/error.h"

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

using namespace condense_detail;

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
