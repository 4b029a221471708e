#include "core/analysis/calibration.h"

#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>

namespace moewb {

namespace {

std::vector<double> toVector(const torch::Tensor& t)
{
    auto c = t.to(torch::kDouble).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Maps a sub-task's fraction into [begin, end) of the pass and forwards it to the caller's callback.
struct ProgressRange {
    const std::function<bool(double)>& report;
    double begin = 0, end = 0;
    bool operator()(double fraction) const
    {
        return !report || report(begin + (end - begin) * std::clamp(fraction, 0.0, 1.0));
    }
};

struct LayerRun {
    torch::Tensor output;  // [n, s, d]
    std::vector<torch::Tensor> mlpInputs, logits, ids, weights, probs;
};

// One decoder layer over the blocks in chunks of whole blocks; checks progress after each chunk.
LayerRun runChunks(const MoeModel& model, const DecoderLayerWeights& w, const torch::Tensor& h, int64_t rowsPerChunk,
                   const LayerOverride* override, bool capture, const ProgressRange& progress)
{
    const int64_t n = h.size(0), s = h.size(1);
    LayerRun run;
    std::vector<torch::Tensor> outputs;
    for (int64_t row = 0; row < n; row += rowsPerChunk) {
        const int64_t rows = std::min(rowsPerChunk, n - row);
        countCompute("layer_chunks"); // tests: the batch tokens reached the pass
        auto ctx = model.attentionContext({}, rows, s);
        LayerTrace trace;
        outputs.push_back(model.runLayer(w, h.narrow(0, row, rows), ctx, override, capture ? &trace : nullptr));
        if (capture && trace.moe) {
            run.mlpInputs.push_back(trace.mlpInput);
            run.logits.push_back(trace.moe->logits);
            run.ids.push_back(trace.moe->routing.ids);
            run.weights.push_back(trace.moe->routing.weights);
            run.probs.push_back(trace.moe->routing.probs);
        }
        if (!progress(double(row + rows) / n))
            throw Cancelled();
    }
    run.output = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 0);
    return run;
}

} // namespace

RoutingStats routingStats(const Routing& routing, int64_t experts)
{
    const int64_t n = routing.ids.size(0);
    const auto options = torch::TensorOptions(torch::kDouble).device(routing.ids.device());
    auto selected = torch::zeros({n, experts}, options).scatter_(1, routing.ids, 1.0);
    auto weights = torch::zeros({n, experts}, options).scatter_(1, routing.ids, routing.weights.to(torch::kDouble));
    auto count = selected.sum(0);
    RoutingStats stats;
    stats.selectionFrequency = toVector(count / static_cast<double>(n));
    stats.meanGateWeight = toVector(weights.sum(0) / count.clamp_min(1.0));
    stats.softmaxMass = toVector(routing.probs.to(torch::kDouble).mean(0));
    return stats;
}

void runCalibration(const MoeModel& model, const torch::Tensor& blocks, const CalibrationOptions& options)
{
    countCompute("calibration");
    if (blocks.dim() != 2 || blocks.size(0) == 0 || blocks.size(1) < 2)
        fail("calibration blocks must be [n, s] token ids with n >= 1 and s >= 2, got {} dims", blocks.dim());
    const auto& spec = model.spec();
    const auto moeLayers = spec.moeLayerIndices();
    if (moeLayers.empty())
        return;
    torch::NoGradGuard noGrad;
    const int64_t n = blocks.size(0), s = blocks.size(1);
    const int64_t rowsPerChunk = std::max<int64_t>(1, options.batchTokens / s);
    const int last = moeLayers.back() + 1;  // nothing to learn past the last MoE layer
    torch::Tensor h = model.embed(blocks);
    int moeIndex = 0;
    for (int i = 0; i < last; ++i) {
        auto w = model.layer(i);
        const bool moe = w.moe && !w.moeDropped;
        const double begin = double(i) / last, end = double(i + 1) / last;
        const double forwardEnd = moe ? (begin + end) / 2 : end;
        auto run = runChunks(model, w, h, rowsPerChunk, nullptr, moe, {options.progress, begin, forwardEnd});
        if (moe && !run.logits.empty()) {
            LayerCapture c;
            c.layer = i;
            c.moeIndex = moeIndex++;
            c.weights = &w;
            c.blockInput = h;
            c.moe.x = torch::cat(run.mlpInputs, 0);
            c.moe.logits = torch::cat(run.logits, 0);
            c.moe.batchSizes.assign(static_cast<size_t>(n), s);
            Routing routing{torch::cat(run.ids, 0), torch::cat(run.weights, 0), torch::cat(run.probs, 0)};
            c.routing = routingStats(routing, static_cast<int64_t>(w.moe->experts.size()));
            run.mlpInputs.clear();
            run.logits.clear();
            const ProgressRange work{options.progress, forwardEnd, end};
            c.progress = [work](double f) { return work(f); };
            if (options.onLayer)
                options.onLayer(c);
            if (options.pruneLayer) {
                const LayerOverride override = options.pruneLayer(c);
                if (!override.removedExperts.empty() || override.skipMlp || override.skipLayer)
                    run = runChunks(model, w, h, rowsPerChunk, &override, false, {options.progress, end, end});
            }
        }
        h = run.output;
        if (!model.resident())
            model.releaseLayerPages(i);
        if (options.progress && !options.progress(end))
            throw Cancelled();
    }
}

const torch::Tensor& BlockInputs::at(int layer) const
{
    auto it = byLayer.find(layer);
    if (it == byLayer.end())
        fail("no block input was captured for layer {}", layer);
    return it->second;
}

BlockInputs captureBlockInputs(const MoeModel& model, const torch::Tensor& blocks, const std::set<int>& layers,
                               const CalibrationOptions& options)
{
    BlockInputs inputs;
    CalibrationOptions o = options;
    o.onLayer = [&](const LayerCapture& c) {
        if (layers.empty() || layers.count(c.layer))
            inputs.byLayer[c.layer] = c.blockInput;
        if (options.onLayer)
            options.onLayer(c);
    };
    runCalibration(model, blocks, o);
    return inputs;
}

} // namespace moewb
