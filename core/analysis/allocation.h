// Non-uniform pruning counts from layer importance (MoE-I² §1.2): more important layers lose fewer
// experts. Indices are positions among the MoE layers (0..M-1).
#pragma once
#include <map>
#include <vector>

namespace moewb {

struct AllocationInput {
    std::vector<double> layerImportance;  // I_l
    std::vector<int> experts;             // E_l
    std::vector<int> topK;                // k_l (a layer keeps at least k_l experts)
    double ratio = 0.25;                  // rho: fraction of all routed experts to remove
    std::map<int, int> overrides;         // user-fixed P_l (validated against the cap)
    double eps = 1e-6;
};

struct Allocation {
    std::vector<int> counts;  // P_l
    int requested = 0;        // P = round(rho * sum E_l)
    int allocated = 0;        // sum P_l (< requested only when every layer is at its cap)
};

// w_l = 1/(I_l + eps); raw_l = P_free * w_l / sum w over layers without an override;
// P_l = floor(raw_l) capped at E_l - k_l; the remainder goes by largest fractional part, in
// rounds, to layers below their cap. Throws moewb::Error for invalid overrides or ratios.
Allocation allocatePruningCounts(const AllocationInput& input);

} // namespace moewb
