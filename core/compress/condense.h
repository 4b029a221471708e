// CD-MoE (methods.md §3): condensing MoE layers instead of dropping them. A condensed layer has no
// router: y = shared(x) + sum over kept experts e of wbar_e * E_e(x), wbar_e the mean gate weight
// expert e received when selected on the calibration data.
//
// Expert selection, per MoE layer, with only that layer condensed (original inputs, from the
// calibration pass): start from S = {} and k_c times add the expert that minimises the divergence
// between the original and the condensed model at the next layer's output (JS over the softmax of
// the hidden vector, mean over tokens; the layer's own output when it is the last layer), or, as an
// option, the KL of the final next-token distributions.
// Layer selection (greedy, beam 1): repeatedly add the layer whose condensing (with its greedy
// experts), together with the layers already chosen, least changes the final hidden state (JS over
// its softmax; or the next-token KL), until the requested number of layers.
//
// The result is a Plan of CondenseLayer steps over the source model (core/plan/plan.h).
#pragma once
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <functional>
#include <string>
#include <vector>

namespace moewb {

enum class CondenseMetric {
    HiddenJs,     // JS divergence of softmax(hidden) at the next layer's output / the final hidden state
    NextTokenKl,  // KL(original || condensed) of the final next-token distributions
};
const char* condenseMetricName(CondenseMetric metric);       // "js", "kl"
CondenseMetric parseCondenseMetric(const std::string& name);  // throws moewb::Error

// One candidate evaluated by the search (reported through CondenseOptions::onCandidate).
struct CondenseCandidate {
    enum class Stage { Expert, Layer } stage = Stage::Expert;
    int layer = 0;          // the layer being condensed (expert stage) / the candidate layer (layer stage)
    int expert = -1;        // the candidate expert (expert stage)
    int round = 0;          // 0-based: the expert/layer being chosen
    double divergence = 0;  // what the metric measured for this candidate
};

struct CondenseOptions {
    int layers = 1;   // MoE layers to condense (at most the number of candidate layers)
    // > 0: a memory target instead of `layers`: keep condensing layers (greedy order) until the
    // condensed model holds at most this many parameters (accountPlan's result total); refused when
    // condensing every candidate layer cannot reach it. `layers` is then ignored.
    uint64_t targetParameters = 0;
    int experts = 2;  // k_c: routed experts kept per condensed layer (0: shared experts only)
    CondenseMetric metric = CondenseMetric::HiddenJs;
    std::vector<int> candidateLayers;  // MoE decoder layers that may be condensed; empty: all
    int64_t batchTokens = 2048;        // tokens through a layer at once (whole blocks, at least one)
    std::string planName = "cd-moe";
    // Fraction done, after every candidate; returning false stops with moewb::Cancelled.
    std::function<bool(double)> progress;
    std::function<void(const CondenseCandidate&)> onCandidate;
};

struct CondensedLayerChoice {
    int layer = 0;
    std::vector<int> experts;       // in the order the greedy search added them
    std::vector<double> weights;    // mean gate weight when selected, parallel to `experts`
    std::vector<double> divergence; // after each added expert (the divergence of k_c = 0 first)
};

struct CondenseResult {
    Plan plan;                                // CondenseLayer steps, in the order the layers were chosen
    std::vector<CondensedLayerChoice> choices; // every candidate layer's greedy experts, by layer
    std::vector<int> order;                    // the chosen layers, in the order chosen
    std::vector<double> layerDivergence;       // the final-state divergence after each chosen layer
};

// `blocks`: calibration token ids [n, s]. The model is only read (no plan is installed on it).
CondenseResult condenseLayers(const MoeModel& model, const torch::Tensor& blocks, const CondenseOptions& options);

// The divergence between two batches of hidden states [..., d]: mean over rows of JS(softmax(a), softmax(b)).
double hiddenJs(const torch::Tensor& a, const torch::Tensor& b);
// Mean over rows of KL(softmax(reference) || softmax(logits)) for logits [..., V].
double logitsKl(const torch::Tensor& reference, const torch::Tensor& logits);

} // namespace moewb
