// What the MoE-I² search needs from the calibration data, gathered in one calibration pass of the
// original model (core/analysis/calibration.h: streaming, in chunks of whole sequences): the exact
// fast loss (core/analysis/fast_loss.h) of every MoE layer that loses experts, and the hidden states
// entering chosen MoE layers (the KT blocks' inputs).
#pragma once
#include "core/analysis/fast_loss.h"
#include "core/search/model_search.h"

#include <map>
#include <memory>
#include <vector>

namespace moewb {

struct SearchInputs {
    std::map<int, std::vector<int>> experts;                 // MoE layer -> its expert ids
    std::map<int, std::unique_ptr<FastLayerLoss>> fastLoss;  // MoE layers with a count > 0
    std::map<int, torch::Tensor> layerInputs;                // decoder layer -> [n, s, d]
};

// `ids`: calibration token ids [n, s] (each sequence one batch of the loss). `counts`: P_l by
// decoder layer (every MoE layer of the model must have one). `inputLayers`: MoE layers whose input
// hidden states to keep. `batchTokens`: tokens through a layer at once.
SearchInputs captureSearchInputs(const MoeModel& model, const torch::Tensor& ids, const std::map<int, int>& counts,
                                 const std::vector<int>& inputLayers, const std::function<bool(double)>& progress = {},
                                 int64_t batchTokens = 2048);

// One problem per MoE layer (ascending), with the fast loss as fitness (0 for layers that lose nothing).
// `inputs` must outlive the problems.
std::vector<LayerProblem> layerProblems(const SearchInputs& inputs, const std::map<int, int>& counts);

} // namespace moewb
