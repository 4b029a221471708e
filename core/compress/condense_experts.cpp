// The CD-MoE search's building blocks (condense_internal.h): running layer ranges in chunks, a
// layer's condensed weights, and the greedy expert search of one MoE layer.
#include "core/compress/condense_internal.h"

#include "core/io/error.h"
#include "core/model/moe_block.h"
#include "core/model/ops.h"
#include "core/pipeline/compute_counter.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

namespace moewb::condense_detail {

torch::Tensor LayerRunner::run(torch::Tensor h, int from, int to, const std::map<int, const DecoderLayerWeights*>& replaced) const
{
    const int64_t n = h.size(0), s = h.size(1);
    for (int i = from; i < to; ++i) {
        auto it = replaced.find(i);
        DecoderLayerWeights loaded;
        if (it == replaced.end())
            loaded = model.layer(i);
        const DecoderLayerWeights& w = it == replaced.end() ? loaded : *it->second;
        std::vector<torch::Tensor> outputs;
        for (int64_t row = 0; row < n; row += rowsPerChunk) {
            const int64_t rows = std::min(rowsPerChunk, n - row);
            countCompute("layer_chunks"); // tests: the batch tokens reached the pass
            auto ctx = model.attentionContext({}, rows, s);
            outputs.push_back(model.runLayer(w, h.narrow(0, row, rows), ctx));
        }
        h = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 0);
        if (it == replaced.end() && !model.resident())
            model.releaseLayerPages(i);
    }
    return h;
}

double LayerRunner::divergence(const torch::Tensor& out, const torch::Tensor& ref, CondenseMetric metric) const
{
    if (metric == CondenseMetric::HiddenJs)
        return hiddenJs(out, ref);
    const int64_t n = out.size(0);
    double sum = 0;
    for (int64_t row = 0; row < n; row += rowsPerChunk) {
        const int64_t rows = std::min(rowsPerChunk, n - row);
        auto r = model.head(model.finalNorm(ref.narrow(0, row, rows)));
        auto o = model.head(model.finalNorm(out.narrow(0, row, rows)));
        sum += logitsKl(r, o) * static_cast<double>(rows);
    }
    return sum / static_cast<double>(n);
}

DecoderLayerWeights condensedLayer(const DecoderLayerWeights& w, std::vector<int> experts, const std::vector<double>& gate)
{
    std::sort(experts.begin(), experts.end());
    DecoderLayerWeights c = w;
    MoeWeights& moe = *c.moe;
    std::vector<SwiGlu> kept;
    std::vector<double> weights;
    for (int e : experts) {
        const auto k = static_cast<size_t>(std::find(w.moe->expertIds.begin(), w.moe->expertIds.end(), e) -
                                           w.moe->expertIds.begin());
        kept.push_back(w.moe->experts.at(k));
        weights.push_back(gate.at(k));
    }
    moe.router = torch::Tensor();
    moe.experts = std::move(kept);
    moe.expertIds = experts;
    moe.condensed = true;
    moe.condensedWeights = std::move(weights);
    return c;
}

CondensedLayerChoice searchExperts(const LayerRunner& runner, const LayerCapture& c, int end, const CondenseOptions& options,
                                   CondenseMetric metric, const std::function<void()>& tick)
{
    const MoeModel& model = runner.model;
    const DecoderLayerWeights& w = *c.weights;
    const MoeWeights& moe = *w.moe;
    const auto& ids = moe.expertIds;
    const auto& gate = c.routing.meanGateWeight;
    const int64_t n = c.blockInput.size(0), s = c.blockInput.size(1), d = c.blockInput.size(2);
    const double eps = model.spec().rmsNormEps;

    // Per chunk: the residual stream after attention, the normed MoE input, the shared experts' output.
    std::vector<torch::Tensor> residual, normed, shared;
    LayerOverride attentionOnly;
    attentionOnly.skipMlp = true;
    for (int64_t row = 0; row < n; row += runner.rowsPerChunk) {
        const int64_t rows = std::min(runner.rowsPerChunk, n - row);
        countCompute("layer_chunks");
        auto ctx = model.attentionContext({}, rows, s);
        residual.push_back(model.runLayer(w, c.blockInput.narrow(0, row, rows), ctx, &attentionOnly));
        normed.push_back(rmsNorm(residual.back(), w.postAttentionNorm, eps).reshape({rows * s, d}));
        shared.push_back(moe.shared ? sharedForward(moe, normed.back()) : torch::Tensor());
    }
    // Layers after the condensed one, loaded once for all candidates where that holds one layer (the
    // JS metric) or the model is resident anyway; a streamed model's KL candidates load and release
    // each later layer per run, so the search never holds more than a layer or two of it.
    std::map<int, DecoderLayerWeights> later;
    std::map<int, const DecoderLayerWeights*> laterPtr;
    struct ReleaseLater {  // a streamed model's pages of the layers held here, also on Cancelled
        const MoeModel& model;
        const std::map<int, DecoderLayerWeights>& layers;
        ~ReleaseLater()
        {
            if (!model.resident())
                for (const auto& entry : layers)
                    model.releaseLayerPages(entry.first);
        }
    } release{model, later};
    if (model.resident() || end - c.layer <= 2)
        for (int i = c.layer + 1; i < end; ++i)
            laterPtr[i] = &later.emplace(i, model.layer(i)).first->second;
    auto withLayer = laterPtr;
    withLayer[c.layer] = &w;
    const auto ref = runner.run(c.blockInput, c.layer, end, withLayer);

    auto position = [&](int e) { return static_cast<size_t>(std::find(ids.begin(), ids.end(), e) - ids.begin()); };
    std::map<int, std::vector<torch::Tensor>> keptOut;  // a kept expert's weighted output, per chunk
    auto weighted = [&](int e, size_t chunk) { return moe.experts.at(position(e))(normed[chunk]) * gate.at(position(e)); };
    auto evaluate = [&](const std::vector<int>& experts, int candidate) {
        std::vector<int> sorted = experts;
        std::sort(sorted.begin(), sorted.end());
        std::vector<torch::Tensor> outputs;
        for (size_t k = 0; k < residual.size(); ++k) {
            const auto& h = residual[k];
            auto y = torch::zeros_like(normed[k]);
            for (int e : sorted)
                y = y + (e == candidate ? weighted(e, k) : keptOut.at(e)[k]);
            if (shared[k].defined())
                y = y + shared[k];
            outputs.push_back(h + y.view({h.size(0), s, d}));
        }
        auto h = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 0);
        if (c.layer + 1 < end)
            h = runner.run(h, c.layer + 1, end, laterPtr);
        const double divergence = runner.divergence(h, ref, metric);
        tick();
        return divergence;
    };

    CondensedLayerChoice choice;
    choice.layer = c.layer;
    choice.divergence.push_back(evaluate({}, -1));
    for (int round = 0; round < options.experts; ++round) {
        int best = -1;
        double bestD = INFINITY;
        for (int e : ids) {
            if (std::find(choice.experts.begin(), choice.experts.end(), e) != choice.experts.end())
                continue;
            auto trial = choice.experts;
            trial.push_back(e);
            const double divergence = evaluate(trial, e);
            if (options.onCandidate)
                options.onCandidate({CondenseCandidate::Stage::Expert, c.layer, e, round, divergence});
            if (divergence < bestD || best < 0) {  // ties keep the lower id (ids ascend)
                best = e;
                bestD = divergence;
            }
        }
        choice.experts.push_back(best);
        choice.divergence.push_back(bestD);
        auto& out = keptOut[best];
        for (size_t k = 0; k < normed.size(); ++k)
            out.push_back(weighted(best, k));
    }
    for (int e : choice.experts)
        choice.weights.push_back(gate.at(position(e)));
    return choice;
}

} // namespace moewb::condense_detail
