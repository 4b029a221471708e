#include "core/analysis/importance.h"

#include "core/analysis/fast_loss.h"
#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"

namespace moewb {

LayerAnalysis analyzeLayer(const ModelSpec& spec, const LayerCapture& capture)
{
    const auto& ls = spec.layers[static_cast<size_t>(capture.layer)];
    const auto& moe = *capture.weights->moe;
    FastLayerLoss fast(spec, ls, moe, capture.moe, 1, capture.progress);
    LayerAnalysis a;
    a.layer = capture.layer;
    a.moeIndex = capture.moeIndex;
    a.expertIds = moe.expertIds;
    for (int e : moe.expertIds) {
        a.expertLoss.push_back(fast.loss({e}));
        a.importance += a.expertLoss.back();
    }
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
