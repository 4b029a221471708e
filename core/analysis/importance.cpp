#include "core/analysis/importance.h"

#include "core/analysis/fast_loss.h"
#include "core/io/error.h"
#include "core/model/routing.h"
#include "core/pipeline/compute_counter.h"

#include <cmath>
#include <torch/utils.h>

namespace moewb {

namespace {

// A layer with no more experts than top-k (e.g. pruned down to k) has no expert to route to in place
// of a removed one: removing expert j then drops its weighted output w_tj o_tj from every token, and
// I_l,j is that loss, sum over batches of sqrt(sum_t ||w_tj o_tj||^2).
std::vector<double> droppedOutputLosses(const ModelSpec& spec, const LayerSpec& ls, const MoeWeights& moe,
                                        const LayerCalibration& c, const std::function<bool(double)>& progress)
{
    torch::NoGradGuard noGrad;
    const auto routing = route(spec.router, c.logits, ls.topK, c.x.scalar_type());
    const auto E = static_cast<int64_t>(moe.experts.size());
    auto weights = torch::zeros({c.x.size(0), E}, torch::TensorOptions(torch::kDouble).device(c.x.device()))
                       .scatter_(1, routing.ids, routing.weights.to(torch::kDouble));
    std::vector<double> losses;
    for (int64_t e = 0; e < E; ++e) {
        auto out = moe.experts[static_cast<size_t>(e)](c.x).to(torch::kDouble);
        auto perToken = out.pow(2).sum(-1) * weights.select(1, e).pow(2);
        double loss = 0;
        int64_t offset = 0;
        for (int64_t n : c.batchSizes) {
            loss += std::sqrt(perToken.narrow(0, offset, n).sum().item<double>());
            offset += n;
        }
        losses.push_back(loss);
        if (progress && !progress(double(e + 1) / double(E)))
            throw Cancelled();
    }
    return losses;
}

} // namespace

LayerAnalysis analyzeLayer(const ModelSpec& spec, const LayerCapture& capture)
{
    const auto& ls = spec.layers[static_cast<size_t>(capture.layer)];
    const auto& moe = *capture.weights->moe;
    LayerAnalysis a;
    a.layer = capture.layer;
    a.moeIndex = capture.moeIndex;
    a.expertIds = moe.expertIds;
    if (static_cast<int>(moe.experts.size()) <= ls.topK) {
        a.expertLoss = droppedOutputLosses(spec, ls, moe, capture.moe, capture.progress);
    } else {
        FastLayerLoss fast(spec, ls, moe, capture.moe, 1, capture.progress);
        for (int e : moe.expertIds)
            a.expertLoss.push_back(fast.loss({e}));
    }
    for (double l : a.expertLoss)
        a.importance += l;
    a.routing = capture.routing;
    return a;
}

std::vector<LayerAnalysis> analyzeImportance(const MoeModel& model, const torch::Tensor& blocks,
                                             const AnalysisOptions& options)
{
    std::vector<LayerAnalysis> results;
    CalibrationOptions calibration;
    calibration.batchTokens = options.batchTokens;
    calibration.progress = options.progress;
    calibration.onLayer = [&](const LayerCapture& c) {
        if (options.onCapture)
            options.onCapture(c);
        results.push_back(analyzeLayer(model.spec(), c));
        if (options.onLayer)
            options.onLayer(results.back());
    };
    countCompute("importance");
    runCalibration(model, blocks, calibration);
    return results;
}

} // namespace moewb
