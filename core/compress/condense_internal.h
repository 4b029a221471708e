// Internals of the CD-MoE search (condense.h), shared by condense.cpp (the search) and
// condense_experts.cpp (running layers, condensed layers, the per-layer expert search).
#pragma once
#include "core/analysis/calibration.h"
#include "core/compress/condense.h"

#include <functional>
#include <map>
#include <vector>

namespace moewb::condense_detail {

// Runs decoder layers [from, to) over hidden states [n, s, d] in chunks of whole blocks, layer by layer
// (a streamed model materialises each layer once per run); `replaced` layers use the given weights.
struct LayerRunner {
    const MoeModel& model;
    int64_t rowsPerChunk = 1;

    torch::Tensor run(torch::Tensor h, int from, int to, const std::map<int, const DecoderLayerWeights*>& replaced) const;
    // The metric between a run's output and the reference output of the same layers, token-weighted
    // over chunks (the next-token KL needs the head, which would not fit for all tokens at once).
    double divergence(const torch::Tensor& out, const torch::Tensor& ref, CondenseMetric metric) const;
};

// Layer `w` condensed to `experts` (source ids) with their mean gate weights `gate` (indexed by
// position in w.moe->experts); experts sorted ascending as applyPlan orders them.
DecoderLayerWeights condensedLayer(const DecoderLayerWeights& w, std::vector<int> experts, const std::vector<double>& gate);

// The greedy expert search of one captured MoE layer (only that layer condensed): k_c rounds, each
// adding the expert whose condensed layer least changes the output of layers [layer, end).
// Attention, the MoE input, the shared experts and the kept experts' outputs do not depend on the
// candidate, so they are computed once (per chunk of whole blocks, exactly as runLayer computes them)
// and each candidate only runs its own expert and layers layer+1 .. end-1 (those loaded once). The
// condensed sublayer is summed as moeForward sums it (kept experts ascending, then the shared ones),
// so a candidate's output is, bit for bit, what runLayer computes with the condensed weights.
CondensedLayerChoice searchExperts(const LayerRunner& runner, const LayerCapture& c, int end, const CondenseOptions& options,
                                   CondenseMetric metric, const std::function<void()>& tick);

} // namespace moewb::condense_detail
