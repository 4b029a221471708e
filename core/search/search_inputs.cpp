#include "core/search/search_inputs.h"

#include "core/io/error.h"

#include <torch/torch.h>

#include <algorithm>

namespace moewb {

SearchInputs captureSearchInputs(const MoeModel& model, const torch::Tensor& ids, const std::map<int, int>& counts,
                                 const std::vector<int>& inputLayers, const std::function<bool(double)>& progress)
{
    const auto& spec = model.spec();
    if (ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1)
        fail("search: calibration ids must be [n, s] token ids, got {} dims", ids.dim());
    const auto moeLayers = spec.moeLayerIndices();
    for (int l : moeLayers)
        if (!counts.count(l))
            fail("search: no pruning count for MoE layer {}", l);
    int last = -1;
    for (const auto& entry : counts)
        last = std::max(last, entry.first);
    for (int l : inputLayers) {
        if (l < 0 || l >= spec.numLayers)
            fail("search: layer {} is outside the model's {} layers", l, spec.numLayers);
        last = std::max(last, l);
    }
    SearchInputs inputs;
    if (last < 0)
        return inputs;
    ForwardOptions forward;
    forward.lastLayer = last + 1;
    forward.progress = progress;
    forward.onLayer = [&](const LayerTrace& t) {
        if (std::find(inputLayers.begin(), inputLayers.end(), t.layer) != inputLayers.end())
            inputs.layerInputs[t.layer] = t.input;
        if (!t.moe)
            return;
        const auto& moe = *t.weights->moe;
        inputs.experts[t.layer] = moe.expertIds;
        const auto it = counts.find(t.layer);
        if (it == counts.end() || it->second == 0)
            return;
        LayerCalibration calibration;
        calibration.x = t.mlpInput;
        calibration.logits = t.moe->logits;
        calibration.batchSizes.assign(static_cast<size_t>(ids.size(0)), ids.size(1));
        inputs.fastLoss[t.layer] = std::make_unique<FastLayerLoss>(spec, spec.layers[static_cast<size_t>(t.layer)], moe,
                                                                   calibration, it->second);
    };
    model.forward(ids, {}, forward);
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
