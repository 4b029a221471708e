// Expert Drop scores and plans (expert_drop.h).
#include "core/compress/expert_drop.h"

#include "core/io/error.h"
#include "core/session/session.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace moewb {

std::string expertDropModeName(ExpertDropMode mode)
{
    return mode == ExpertDropMode::Global ? "global" : "layerwise";
}

ExpertDropMode parseExpertDropMode(const std::string& name)
{
    if (name == "global")
        return ExpertDropMode::Global;
    if (name == "layerwise")
        return ExpertDropMode::Layerwise;
    fail("Expert Drop mode '{}' is neither 'global' nor 'layerwise'", name);
}

std::string expertScoreName(ExpertScoreKind kind)
{
    switch (kind) {
    case ExpertScoreKind::SoftmaxMass: return "softmax";
    case ExpertScoreKind::GateWeight: return "gate";
    default: return "auto";
    }
}

ExpertScoreKind parseExpertScore(const std::string& name)
{
    if (name == "auto")
        return ExpertScoreKind::Auto;
    if (name == "softmax")
        return ExpertScoreKind::SoftmaxMass;
    if (name == "gate")
        return ExpertScoreKind::GateWeight;
    fail("Expert Drop score '{}' is none of 'auto', 'softmax', 'gate'", name);
}

ExpertScoreKind resolveScoreKind(const ModelSpec& spec, ExpertScoreKind kind)
{
    if (kind != ExpertScoreKind::Auto)
        return kind;
    const bool deepseek = spec.arch == Architecture::DeepseekV2 || spec.arch == Architecture::Deepseek;
    return deepseek ? ExpertScoreKind::GateWeight : ExpertScoreKind::SoftmaxMass;
}

std::vector<double> expertScores(const RoutingStats& routing, ExpertScoreKind kind)
{
    if (kind == ExpertScoreKind::SoftmaxMass)
        return routing.softmaxMass;
    // Scattered top-k weights averaged over all tokens = frequency x mean weight when selected.
    std::vector<double> out(routing.selectionFrequency.size());
    for (size_t e = 0; e < out.size(); ++e)
        out[e] = routing.selectionFrequency[e] * routing.meanGateWeight[e];
    return out;
}

ExpertScores computeExpertScores(const MoeModel& model, const torch::Tensor& blocks, ExpertScoreKind kind,
                                 int64_t batchTokens, const std::function<bool(double)>& progress)
{
    ExpertScores out;
    out.kind = resolveScoreKind(model.spec(), kind);
    CalibrationOptions options;
    options.batchTokens = batchTokens;
    options.progress = progress;
    options.onLayer = [&](const LayerCapture& c) {
        out.layers.push_back(c.layer);
        out.experts.push_back(c.weights->moe->expertIds);
        out.scores.push_back(expertScores(c.routing, out.kind));
        out.routing.push_back(c.routing);
    };
    runCalibration(model, blocks, options);
    return out;
}

RouterStats routerStatsOf(const ExpertScores& scores)
{
    if (scores.routing.size() != scores.layers.size())
        fail("Expert Drop: no routing statistics to store (scores did not come from a calibration pass)");
    int64_t width = 0;
    for (const auto& ids : scores.experts)
        for (int e : ids)
            width = std::max<int64_t>(width, e + 1);
    const auto rows = static_cast<int64_t>(scores.layers.size());
    RouterStats stats;
    stats.layers = scores.layers;
    for (auto* a : {&stats.selectionFrequency, &stats.meanGateWeight, &stats.softmaxMass}) {
        a->shape = {rows, width};
        a->data.assign(static_cast<size_t>(rows * width), 0.0);
    }
    for (size_t r = 0; r < scores.layers.size(); ++r)
        for (size_t j = 0; j < scores.experts[r].size(); ++j) {
            const size_t at = r * static_cast<size_t>(width) + static_cast<size_t>(scores.experts[r][j]);
            stats.selectionFrequency.data[at] = scores.routing[r].selectionFrequency[j];
            stats.meanGateWeight.data[at] = scores.routing[r].meanGateWeight[j];
            stats.softmaxMass.data[at] = scores.routing[r].softmaxMass[j];
        }
    return stats;
}

std::optional<ExpertScores> expertScoresFromSession(const Session& session, const ModelSpec& spec, ExpertScoreKind kind)
{
    const auto& stats = session.routerStats();
    const auto moeLayers = spec.moeLayerIndices();
    if (!stats || stats->stamp != session.currentStamp() || stats->layers != moeLayers)
        return std::nullopt;
    ExpertScores out;
    out.kind = resolveScoreKind(spec, kind);
    out.layers = moeLayers;
    for (size_t r = 0; r < moeLayers.size(); ++r) {
        const int experts = spec.layers[static_cast<size_t>(moeLayers[r])].numExperts;
        if (stats->softmaxMass.shape.size() != 2 || stats->softmaxMass.shape[1] < experts)
            return std::nullopt;
        RoutingStats routing;
        const size_t base = r * static_cast<size_t>(stats->softmaxMass.shape[1]);
        std::vector<int> ids(static_cast<size_t>(experts));
        std::iota(ids.begin(), ids.end(), 0);
        for (int e : ids) {
            routing.selectionFrequency.push_back(stats->selectionFrequency.data[base + static_cast<size_t>(e)]);
            routing.meanGateWeight.push_back(stats->meanGateWeight.data[base + static_cast<size_t>(e)]);
            routing.softmaxMass.push_back(stats->softmaxMass.data[base + static_cast<size_t>(e)]);
        }
        out.experts.push_back(ids);
        out.scores.push_back(expertScores(routing, out.kind));
    }
    return out;
}

namespace {

// preserve_n keeps that many experts per layer (global: that many times the layers in all): more than a
// layer has (layerwise) is an error, and so is a count that drops nothing (it made a no-op plan).
void requirePreserveN(const std::vector<int>& layers, const std::vector<int>& count, const ExpertDropOptions& options)
{
    const int keep = options.preserveN;
    if (keep <= 0 || count.empty())
        return;
    const int total = std::accumulate(count.begin(), count.end(), 0);
    const int most = *std::max_element(count.begin(), count.end());
    if (options.mode == ExpertDropMode::Layerwise) {
        for (size_t r = 0; r < count.size(); ++r)
            if (keep > count[r])
                fail("Expert Drop: cannot keep {} experts per layer: layer {} has {} routed experts", keep,
                     layers[r], count[r]);
        if (keep >= most)
            fail("Expert Drop: keeping {} experts per layer drops none: the MoE layers have {} routed experts; "
                 "keep fewer",
                 keep, most);
    } else if (int64_t{keep} * static_cast<int64_t>(count.size()) >= total) {
        fail("Expert Drop: keeping {} experts per layer ({} in all) drops none: the {} MoE layers have {} routed "
             "experts in all; keep fewer",
             keep, int64_t{keep} * static_cast<int64_t>(count.size()), count.size(), total);
    }
}

} // namespace

Plan expertDropPlan(const ModelSpec& spec, const ExpertScores& scores, const ExpertDropOptions& options)
{
    if (scores.layers.empty())
        fail("Expert Drop: the model has no MoE layer to trim");
    if (options.preserveN <= 0 && !(options.ratio >= 0.0 && options.ratio < 1.0))
        fail("Expert Drop: ratio {} is outside [0, 1)", options.ratio);
    const size_t L = scores.layers.size();
    std::vector<int> topK(L), count(L);
    int total = 0, floorTotal = 0;
    for (size_t r = 0; r < L; ++r) {
        if (scores.scores[r].size() != scores.experts[r].size())
            fail("Expert Drop: layer {} has {} scores for {} experts", scores.layers[r], scores.scores[r].size(),
                 scores.experts[r].size());
        topK[r] = spec.layers.at(static_cast<size_t>(scores.layers[r])).topK;
        count[r] = static_cast<int>(scores.experts[r].size());
        total += count[r];
        floorTotal += topK[r];
    }
    requirePreserveN(scores.layers, count, options);
    std::vector<std::vector<int>> removed(L);
    if (options.mode == ExpertDropMode::Layerwise) {
        for (size_t r = 0; r < L; ++r) {
            const int drop = options.preserveN > 0 ? count[r] - options.preserveN
                                                   : static_cast<int>(std::lround(options.ratio * count[r]));
            if (count[r] - drop < topK[r])
                fail("Expert Drop: keeping {} of layer {}'s {} experts is below top-k = {}", count[r] - drop,
                     scores.layers[r], count[r], topK[r]);
            std::vector<size_t> order(static_cast<size_t>(count[r]));
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(),
                             [&](size_t a, size_t b) { return scores.scores[r][a] < scores.scores[r][b]; });
            for (int i = 0; i < std::max(drop, 0); ++i)
                removed[r].push_back(scores.experts[r][order[static_cast<size_t>(i)]]);
        }
    } else {
        const int drop = options.preserveN > 0 ? total - options.preserveN * static_cast<int>(L)
                                               : static_cast<int>(std::lround(options.ratio * total));
        if (total - drop < floorTotal)
            fail("Expert Drop: keeping {} of {} experts leaves some layer below top-k (at least {} needed)",
                 total - drop, total, floorTotal);
        std::vector<std::tuple<double, size_t, int, int>> all; // score, layer row, expert id, position
        for (size_t r = 0; r < L; ++r)
            for (size_t j = 0; j < scores.experts[r].size(); ++j)
                all.emplace_back(scores.scores[r][j], r, scores.experts[r][j], static_cast<int>(j));
        std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
            return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a))
                < std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
        });
        int dropped = 0;
        for (const auto& [score, r, expert, position] : all) {
            if (dropped == drop)
                break;
            if (count[r] - static_cast<int>(removed[r].size()) <= topK[r])
                continue;
            removed[r].push_back(expert);
            ++dropped;
        }
    }
    Plan plan;
    plan.method = "expert-drop";
    nlohmann::json kept = nlohmann::json::object();
    for (size_t r = 0; r < L; ++r) {
        kept[std::to_string(scores.layers[r])] = count[r] - static_cast<int>(removed[r].size());
        if (removed[r].empty())
            continue;
        std::sort(removed[r].begin(), removed[r].end());
        plan.steps.push_back(RemoveExperts{scores.layers[r], removed[r]});
    }
    plan.parameters = {{"mode", expertDropModeName(options.mode)}, {"score", expertScoreName(scores.kind)},
                       {"kept_per_layer", kept}};
    if (options.preserveN > 0)
        plan.parameters["preserve_n"] = options.preserveN;
    else
        plan.parameters["ratio"] = options.ratio;
    return plan;
}

} // namespace moewb
