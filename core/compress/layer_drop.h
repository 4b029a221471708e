// Layer Drop and Block Drop (methods.md §2, seed 001): one calibration pass measures how little each
// MoE sublayer and each run of decoder blocks changes the residual stream, by the mean over all
// calibration tokens of the cosine similarity between the stream before and after:
//   Layer Drop:  s_l = mean_t cos(h_t, h_t + MoE(norm(h_t))), h = residual after attention;
//   Block Drop:  span(i, n) = mean_t cos(x_i,t, x_i+n,t), x_i = input of decoder layer i (x_L is the
//                last layer's output); the block score of layer i is span(i, 1).
// The most similar (most redundant) are dropped. Scores go into the session's tensor store, stamped
// with the model and calibration data, so another drop_n is a plan away without a pass.
#pragma once
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace moewb {

class Session;

// Mean over rows of cos(a_t, b_t) in float64 (a, b: [..., d], same shape; zero rows count as 0).
double meanCosine(const torch::Tensor& a, const torch::Tensor& b);

struct LayerSimilarity {
    int numLayers = 0;
    int maxSpan = 0;
    std::vector<double> moe;   // [L] Layer Drop score; NaN where the layer has no MoE sublayer to drop
    std::vector<double> span;  // [L x maxSpan] row-major: span(i, n) at i * maxSpan + n - 1; NaN past L

    double spanAt(int first, int length) const; // NaN when out of range or not computed
    double block(int layer) const { return spanAt(layer, 1); }
};

// Hidden states fed in order x_0, x_1, ..., x_L fill span(i, n) for every n <= maxSpan; keeps the
// last maxSpan states only.
class SpanAccumulator {
public:
    SpanAccumulator(int numLayers, int maxSpan);
    void push(const torch::Tensor& state);
    const std::vector<double>& span() const { return m_span; }

private:
    int m_layers, m_maxSpan, m_pushed = 0;
    std::vector<torch::Tensor> m_recent; // ring of the last maxSpan states
    std::vector<double> m_span;
};

struct SimilarityOptions {
    int maxSpan = 0;            // longest Block Drop span measured (0: all L)
    int64_t batchTokens = 2048; // tokens through a layer at once (whole blocks)
    std::function<bool(double)> progress;
};

// One pass over every decoder layer of `model` (dense layers, dropped sublayers and blocks of an
// applied plan included) on `blocks` [n, s]. Keeps min(maxSpan, L) + 1 hidden states of all tokens.
LayerSimilarity computeLayerSimilarity(const MoeModel& model, const torch::Tensor& blocks,
                                       const SimilarityOptions& options = {});

// Session cache: tensors "scores/layer_drop/moe_similarity" f64 [L] and "scores/block_drop/
// span_similarity" f64 [L, maxSpan], stamped with the session's current model and data hashes.
std::optional<LayerSimilarity> loadLayerSimilarity(const Session& session, int numLayers, int minSpan);
void storeLayerSimilarity(Session& session, const LayerSimilarity& similarity);
// From the session when it holds spans of at least `minSpan` for the current stamp, else a pass
// (stored in the session when it has a source). `reused` tells which.
LayerSimilarity layerSimilarity(const MoeModel& model, const torch::Tensor& blocks, Session* session, int minSpan,
                                const SimilarityOptions& options, bool* reused = nullptr);

// Layer Drop plan: DropMoeSublayer for the `dropN` MoE layers with the highest score (ties to the
// earlier layer), ascending. Dense layers never. Throws when fewer than dropN MoE layers exist.
Plan layerDropPlan(const ModelSpec& spec, const LayerSimilarity& similarity, int dropN);

enum class BlockDropMode { Discrete, Consecutive };
std::string blockDropModeName(BlockDropMode mode); // "discrete" / "consecutive"
BlockDropMode parseBlockDropMode(const std::string& name);

// First layer of the consecutive run of `length` blocks with the highest span(i, length), i in
// [0, L - length] (ties to the earlier run); -1 when no span of that length was measured.
int bestConsecutiveStart(const LayerSimilarity& similarity, int length);
// The blocks Block Drop removes: the dropN highest block(i) (discrete, ties to the earlier layer) or
// the run [i, i + dropN) of bestConsecutiveStart. Ascending. Throws when dropN is not in [1, L - 1].
std::vector<int> blocksToDrop(const LayerSimilarity& similarity, int dropN, BlockDropMode mode);
Plan blockDropPlan(const ModelSpec& spec, const LayerSimilarity& similarity, int dropN, BlockDropMode mode);

} // namespace moewb
