#include "core/search/search_inputs.h"

#include "core/analysis/calibration.h"
#include "core/io/error.h"

#include <torch/types.h>

#include <algorithm>

namespace moewb {

SearchInputs captureSearchInputs(const MoeModel& model, const torch::Tensor& ids, const std::map<int, int>& counts,
                                 const std::vector<int>& inputLayers, const std::function<bool(double)>& progress,
                                 int64_t batchTokens)
{
    const auto& spec = model.spec();
    const auto moeLayers = spec.moeLayerIndices();
    for (int l : moeLayers)
        if (!counts.count(l))
            fail("search: no pruning count for MoE layer {}", l);
    for (int l : inputLayers)
        if (std::find(moeLayers.begin(), moeLayers.end(), l) == moeLayers.end())
            fail("search: layer {} is not a MoE layer; block inputs are kept for MoE layers", l);
    SearchInputs inputs;
    CalibrationOptions options;
    options.batchTokens = batchTokens;
    options.progress = progress;
    options.onLayer = [&](const LayerCapture& c) {
        if (std::find(inputLayers.begin(), inputLayers.end(), c.layer) != inputLayers.end())
            inputs.layerInputs[c.layer] = c.blockInput;
        const auto& moe = *c.weights->moe;
        inputs.experts[c.layer] = moe.expertIds;
        const int prune = counts.at(c.layer);
        if (prune > 0)
            inputs.fastLoss[c.layer] = std::make_unique<FastLayerLoss>(spec, spec.layers[static_cast<size_t>(c.layer)], moe,
                                                                       c.moe, prune, c.progress);
    };
    runCalibration(model, ids, options);
    return inputs;
}

std::vector<LayerProblem> layerProblems(const SearchInputs& inputs, const std::map<int, int>& counts)
{
    std::vector<LayerProblem> problems;
    for (const auto& [layer, experts] : inputs.experts) {
        LayerProblem p;
        p.layer = layer;
        p.experts = experts;
        p.prune = counts.at(layer);
        if (p.prune > 0) {
            const FastLayerLoss* fast = inputs.fastLoss.at(layer).get();
            p.fitness = [fast](const std::vector<int>& set) { return fast->loss(set); };
        } else {
            p.fitness = [](const std::vector<int>&) { return 0.0; };
        }
        problems.push_back(std::move(p));
    }
    return problems;
}

} // namespace moewb
