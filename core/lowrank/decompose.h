// The MoE-I² low-rank stage (methods.md 1.5) on a pruned model, in two calibration passes:
//   1. expert importance I_l,j of the surviving experts, recomputed on the pruned model (fast loss);
//      ranks allocated from the decomposition rate (rank_allocation.h);
//   2. layer by layer, each expert's input second moments on the tokens routed to it (hidden states
//      for gate/up, d x d; intermediate activations for down, f x f; float64), then the factors
//      (svd.h), so only one layer's statistics are alive at a time.
// The result is a plan (the pruning plan's steps, then one FactorExperts step per layer naming its
// factor tensors) and the factor tensors to store under those names.
#pragma once
#include "core/analysis/importance.h"
#include "core/lowrank/rank_allocation.h"
#include "core/lowrank/svd.h"
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moewb {

struct DecomposeOptions {
    double rate = 0.3;      // r_d: fraction of the surviving routed-expert parameters removed
    double alpha = 0.15;
    SvdMode mode = SvdMode::ActivationAware;
    std::map<int, double> layerAverageRank;         // overrides (rank_allocation.h)
    std::map<std::pair<int, int>, int> expertRank;  // (layer, expert) -> rank, 0 = dense
    std::string factorPrefix = "factors/moe-i2";    // tensors: <prefix>/layerNNN/expertEEE/<proj>/{a,b}
    std::string planName = "moe-i2";
    int64_t batchTokens = 2048;
    // Importance of the surviving experts, when the caller has it (e.g. from a session); else pass 1 runs.
    std::vector<LayerAnalysis> importance;
    std::function<bool(double)> progress;  // fraction of both passes; false cancels (moewb::Cancelled)
};

struct MatrixReport {
    int layer = 0, expert = 0;
    Proj matrix = Proj::Gate;
    int rank = 0;
    SvdMode used = SvdMode::Plain;  // activation-aware falls back to plain with too few tokens
    int64_t tokens = 0;             // tokens routed to the expert in the calibration data
    double jitter = 0.0;
    double relativeError = 0.0;     // ||W - a b||_F / ||W||_F
    double activationError = 0.0;   // ||(W - a b) X^T||_F / ||W X^T||_F on the calibration inputs
};

struct DecomposeResult {
    Plan plan;                                     // pruning steps + FactorExperts steps
    RankAllocation allocation;
    std::vector<LayerAnalysis> importance;         // of the pruned model
    std::vector<MatrixReport> matrices;            // one per factored matrix
    std::map<std::string, torch::Tensor> factors;  // tensor-store name -> factor (CPU)
    double importanceSeconds = 0, factorSeconds = 0;
};

// `pruned`: the source model with `pruning` applied (applyPlan); `blocks`: calibration token ids [n, s].
DecomposeResult decomposeExperts(const MoeModel& pruned, const Plan& pruning, const torch::Tensor& blocks,
                                 const DecomposeOptions& options);

} // namespace moewb
