// Calibration pass (MoE-I² §1.1, docs/analysis.md): the calibration blocks flow through the model one
// decoder layer at a time (a streamed model materialises one layer at a time), in chunks of whole
// blocks, and at every MoE layer the pass hands out what later stages need:
//   - the block input (the decoder layer's input hidden states), where the KT block search starts;
//   - the MoE block input and router logits, from which FastLayerLoss computes exact losses;
//   - routing statistics per expert (the GUI's heatmaps).
// Captures are streamed through a callback so that only one layer's activations are alive at a time;
// captureBlockInputs() keeps the block inputs of chosen layers for callers that want them in memory.
// Inputs come from the original model, or with `pruneLayer` from the already-pruned prefix (the
// `sequential` choice of methods.md §1.1).
#pragma once
#include "core/analysis/fast_loss.h"
#include "core/model/moe_model.h"

#include <functional>
#include <map>
#include <set>
#include <vector>

namespace moewb {

struct RoutingStats {
    std::vector<double> selectionFrequency;  // fraction of tokens that select each expert
    std::vector<double> meanGateWeight;      // mean combine weight when selected (0 if never)
    std::vector<double> softmaxMass;         // mean full-softmax probability
};

RoutingStats routingStats(const Routing& routing, int64_t experts);

// What the pass saw at one MoE layer; tensors are in the model's compute dtype and device.
struct LayerCapture {
    int layer = 0;                                 // decoder layer index
    int moeIndex = 0;                              // position among the MoE layers
    const DecoderLayerWeights* weights = nullptr;  // valid during the callback
    torch::Tensor blockInput;                      // [n, s, d] input of decoder layer `layer`
    LayerCalibration moe;                          // MoE input [n*s, d], logits [n*s, E], one batch a block
    RoutingStats routing;                          // of the unpruned layer on these inputs
    // Progress of the work the callback does with this capture (fraction of it, 0..1); returns false
    // when the caller asked to cancel (then throw moewb::Cancelled). Always set during the callback.
    std::function<bool(double)> progress;
};

struct CalibrationOptions {
    int64_t batchTokens = 2048;  // tokens through a layer at once (whole blocks, at least one)
    // Sequential mode: called after each MoE layer's capture (and onLayer); the experts it returns
    // are removed from that layer before its output feeds the next layer. Unset: original inputs.
    std::function<LayerOverride(const LayerCapture&)> pruneLayer;
    std::function<void(const LayerCapture&)> onLayer;
    // Fraction of the pass done, after every chunk of every layer and through LayerCapture::progress;
    // returning false stops the pass with moewb::Cancelled.
    std::function<bool(double)> progress;
};

// Runs `blocks` (token ids [n, s], n >= 1, s >= 2) through layers 0 .. last MoE layer. Each MoE
// layer's share of the progress is split evenly between its forward and the onLayer work.
void runCalibration(const MoeModel& model, const torch::Tensor& blocks, const CalibrationOptions& options);

// Block inputs for the KT block search (methods.md §1.4): decoder layer -> [n, s, d].
struct BlockInputs {
    std::map<int, torch::Tensor> byLayer;
    // The input of decoder layer `layer`; throws moewb::Error when it was not captured.
    const torch::Tensor& at(int layer) const;
};

// One calibration pass keeping the block inputs of `layers` (MoE decoder layers; empty = all).
BlockInputs captureBlockInputs(const MoeModel& model, const torch::Tensor& blocks, const std::set<int>& layers = {},
                               const CalibrationOptions& options = {});

} // namespace moewb
