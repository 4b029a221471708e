// MoE-I² analysis pass (§1.1-1.2): the calibration pass (calibration.h) streams the model layer by
// layer; at each MoE layer the single-expert removal losses I_l,j come from the exact fast loss, with
// routing statistics for the GUI's other heatmaps. Results are reported a layer at a time.
#pragma once
#include "core/analysis/calibration.h"

#include <functional>
#include <vector>

namespace moewb {

struct LayerAnalysis {
    int layer = 0;                   // decoder layer index
    int moeIndex = 0;                // position among the MoE layers
    std::vector<int> expertIds;      // original ids of the layer's experts
    std::vector<double> expertLoss;  // I_l,j = loss({j})
    double importance = 0.0;         // I_l = sum_j I_l,j
    RoutingStats routing;
};

struct AnalysisOptions {
    std::function<void(const LayerAnalysis&)> onLayer;  // called as each MoE layer finishes
    std::function<bool(double)> progress;               // fraction of the pass done; false cancels
    int64_t batchTokens = 2048;                         // tokens through a layer at once
    // Sees every layer's capture (block inputs, MoE inputs) before its losses are computed, so one
    // pass also serves the block search's inputs (docs/analysis.md).
    std::function<void(const LayerCapture&)> onCapture;
};

// `blocks`: calibration token ids [n, s]. Each block is one batch of the loss (methods.md §1.1).
std::vector<LayerAnalysis> analyzeImportance(const MoeModel& model, const torch::Tensor& blocks,
                                             const AnalysisOptions& options = {});

// Single-expert losses and routing statistics of one captured layer.
LayerAnalysis analyzeLayer(const ModelSpec& spec, const LayerCapture& capture);

} // namespace moewb
