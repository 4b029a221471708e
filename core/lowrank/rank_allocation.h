// Non-uniform rank allocation for MoE-I²'s intra-expert low-rank stage (methods.md 1.5).
//
// A global decomposition rate r_d removes that fraction of the surviving routed experts' parameters.
// A rank-r factor of an m x n matrix costs r(m+n), so the average rank meeting the budget in a layer
// is R_a = (1 - r_d) m n / (m + n). Each layer gets R_a * M_l rank in total (M_l surviving experts),
// shared by importance: R_l,j = floor(w_j / sum w * R_a * M_l), w_j = (I_l,j + eps)^alpha. Ranks are
// clamped to [1, min(m, n)], a matrix whose factor would not save parameters (r(m+n) >= m n) stays
// dense, and a repair pass scales every non-overridden rank by one common factor (the largest that
// fits the budget), then hands the remaining budget out a rank at a time by largest fractional
// part, so the total lands within one rank step below the budget. Every expert's three matrices
// (gate, up, down) share its rank.
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace moewb {

struct RankLayerInput {
    int layer = 0;                   // decoder layer index
    std::vector<int> experts;        // surviving routed experts (source ids)
    std::vector<double> importance;  // I_l,j, parallel to experts
    int64_t m = 0, n = 0;            // expert matrix shape (hidden size d, expert width f)
};

struct RankAllocationInput {
    std::vector<RankLayerInput> layers;
    double decompositionRate = 0.3;  // r_d in [0, 1)
    double alpha = 0.15;
    double eps = 1e-6;
    // Fixed by hand: a layer's average rank (its experts share R * M_l by importance), or one
    // expert's rank (0 = keep dense). Overridden ranks are kept as given (clamped to [1, min(m,n)]).
    std::map<int, double> layerAverageRank;
    std::map<std::pair<int, int>, int> expertRank;  // (layer, expert) -> rank
};

struct ExpertRankChoice {
    int expert = 0;
    int rank = 0;         // 0: stays dense
    double raw = 0.0;     // the importance-weighted rank before rounding and repair
    bool overridden = false;
};

struct LayerRanks {
    int layer = 0;
    double averageRank = 0.0;  // R_a used for this layer
    std::vector<ExpertRankChoice> experts;
};

struct RankAllocation {
    std::vector<LayerRanks> layers;
    uint64_t denseParameters = 0;   // surviving routed experts, all dense (3 m n each)
    uint64_t budget = 0;            // floor((1 - r_d) * denseParameters)
    uint64_t allocated = 0;         // parameters of the allocation (dense experts count 3 m n)
    double scale = 1.0;             // the repair pass's common factor on the raw ranks
    int denseFallbacks = 0;         // experts kept dense because a factor would not save parameters
};

// Parameters of one expert (three m x n matrices) at rank r (0 or at/above break-even: dense).
uint64_t expertParameters(int64_t m, int64_t n, int rank);
// The largest rank whose factor still saves parameters: max r with r (m + n) < m n.
int breakEvenRank(int64_t m, int64_t n);

// Throws moewb::Error for a rate outside [0, 1), mismatched inputs or overrides naming unknown
// layers or experts.
RankAllocation allocateRanks(const RankAllocationInput& input);

} // namespace moewb
