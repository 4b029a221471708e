// Block-wise KT-reception field (MoE-I² §1.4). The MoE layers are cut into consecutive,
// non-overlapping blocks of T layers (the last block may be shorter). For each block every
// combination of the layers' K candidate removal sets runs through the real decoder layers from the
// block's cached original input, and the combination with the smallest
// sum over calibration sequences of ||H_out - H_out(combination)||_F at the block output wins.
// Prefixes are shared depth first: the output after the block's first layer with candidate c1 is
// computed once and reused for every combination below it (K + K^2 + ... + K^T MoE-layer passes
// instead of T K^T). Dense layers inside a block's span run unpruned, once per prefix.
#pragma once
#include "core/model/moe_model.h"
#include "core/session/session_types.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moewb {

// The candidate removal sets of one MoE layer, best first (the layer-wise search's K best).
struct LayerCandidates {
    int layer = 0;                       // decoder layer index
    std::vector<std::vector<int>> sets;  // 1..K sets of original expert ids
};

struct KtOptions {
    int blockSize = 3;   // T
    int candidates = 3;  // K: combination c picks candidate (c / K^(T'-1-i)) % K for layer i;
                         // combinations naming a candidate a layer lacks get loss +inf
    // Calibration sequences per forward. Each sequence is one batch of the loss, so this only
    // bounds memory; it is fixed (not derived from the thread count), so results do not change with it.
    int64_t sequencesPerPass = 8;
    std::function<void(const BlockResult&)> onBlock;  // each block as it finishes
    std::function<bool(double)> progress;             // fraction done; false cancels (moewb::Cancelled)
};

struct KtCounters {
    int64_t layerPasses = 0;   // decoder-layer forwards on one slice of sequences, reference passes included
    int64_t combinations = 0;  // combinations whose loss was computed
};

// Hidden states [n, s, d] entering decoder layer `layer` in the original model (the block input).
using BlockInputFn = std::function<torch::Tensor(int layer)>;

// Consecutive, non-overlapping groups of `blockSize` entries of `layers` (ascending); the last
// group holds the remainder.
std::vector<std::vector<int>> partitionBlocks(const std::vector<int>& layers, int blockSize);

// One block: `block` lists its MoE layers in ascending order with their candidates; `input` is the
// original hidden state entering the first of them, [n, s, d].
BlockResult searchBlock(const MoeModel& model, const std::vector<LayerCandidates>& block, const torch::Tensor& input,
                        const KtOptions& options, KtCounters* counters = nullptr);

// Every block of `layers` (ascending decoder-layer order), in order.
BlockSearch searchBlocks(const MoeModel& model, const std::vector<LayerCandidates>& layers, const BlockInputFn& inputs,
                         const KtOptions& options, KtCounters* counters = nullptr);

// The original model's hidden states entering each of `layers`, on token ids [n, s] (one forward
// that stops after the last of them).
std::map<int, torch::Tensor> captureLayerInputs(const MoeModel& model, const torch::Tensor& ids,
                                                const std::vector<int>& layers,
                                                const std::function<bool(double)>& progress = {});

} // namespace moewb
