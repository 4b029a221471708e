// MoE-I² analysis pass (§1.1-1.2): calibration tokens flow through the model layer by layer
// (streaming); at each MoE layer the single-expert removal losses I_l,j come from the exact fast
// loss, with routing statistics for the GUI's other heatmaps. Results are reported a layer at a time.
#pragma once
#include "core/model/moe_model.h"

#include <functional>
#include <vector>

namespace moewb {

struct RoutingStats {
    std::vector<double> selectionFrequency;  // fraction of tokens that select each expert
    std::vector<double> meanGateWeight;      // mean combine weight when selected (0 if never)
    std::vector<double> softmaxMass;         // mean full-softmax probability
};

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
    std::function<bool(double)> progress;               // fraction of layers done; false cancels
};

// `blocks`: calibration token ids [n, s]. Each block is one batch of the loss (methods.md §1.1).
std::vector<LayerAnalysis> analyzeImportance(const MoeModel& model, const torch::Tensor& blocks,
                                             const AnalysisOptions& options = {});

RoutingStats routingStats(const Routing& routing, int64_t experts);

} // namespace moewb
