#include "core/analysis/importance.h"

#include "core/analysis/fast_loss.h"
#include "core/io/error.h"

#include <torch/torch.h>

namespace moewb {

namespace {

std::vector<double> toVector(const torch::Tensor& t)
{
    auto c = t.to(torch::kDouble).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

} // namespace

RoutingStats routingStats(const Routing& routing, int64_t experts)
{
    const int64_t n = routing.ids.size(0);
    auto selected = torch::zeros({n, experts}, torch::kDouble).scatter_(1, routing.ids, 1.0);
    auto weights = torch::zeros({n, experts}, torch::kDouble).scatter_(1, routing.ids, routing.weights.to(torch::kDouble));
    auto count = selected.sum(0);
    RoutingStats stats;
    stats.selectionFrequency = toVector(count / static_cast<double>(n));
    stats.meanGateWeight = toVector(weights.sum(0) / count.clamp_min(1.0));
    stats.softmaxMass = toVector(routing.probs.to(torch::kDouble).mean(0));
    return stats;
}

std::vector<LayerAnalysis> analyzeImportance(const MoeModel& model, const torch::Tensor& blocks,
                                             const AnalysisOptions& options)
{
    const auto& spec = model.spec();
    if (blocks.dim() != 2 || blocks.size(0) == 0 || blocks.size(1) < 2)
        fail("calibration blocks must be [n, s] token ids with n >= 1 and s >= 2, got {} dims", blocks.dim());
    std::vector<LayerAnalysis> results;
    const auto moeLayers = spec.moeLayerIndices();
    ForwardOptions forward;
    forward.lastLayer = moeLayers.empty() ? 0 : moeLayers.back() + 1;  // nothing to learn past the last MoE layer
    forward.onLayer = [&](const LayerTrace& t) {
        if (!t.moe)
            return;
        const auto& ls = spec.layers[static_cast<size_t>(t.layer)];
        const auto& moe = *t.weights->moe;
        LayerCalibration calibration;
        calibration.x = t.mlpInput;
        calibration.logits = t.moe->logits;
        calibration.batchSizes.assign(static_cast<size_t>(blocks.size(0)), blocks.size(1));
        FastLayerLoss fast(spec, ls, moe, calibration, 1);
        LayerAnalysis a;
        a.layer = t.layer;
        a.moeIndex = static_cast<int>(results.size());
        a.expertIds = moe.expertIds;
        for (int e : moe.expertIds) {
            a.expertLoss.push_back(fast.loss({e}));
            a.importance += a.expertLoss.back();
        }
        a.routing = routingStats(t.moe->routing, static_cast<int64_t>(moe.experts.size()));
        results.push_back(a);
        if (options.onLayer)
            options.onLayer(results.back());
    };
    forward.progress = options.progress;
    model.forward(blocks, {}, forward);
    return results;
}

} // namespace moewb
