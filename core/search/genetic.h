// Layer-wise genetic search over expert removal sets (MoE-I² §1.3). Fitness is any function of a
// set (the fast loss in practice); evaluations are memoised. When the whole space C(E, P) is no
// larger than population x generations it is enumerated exactly instead, and the result says so.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace moewb {

struct GeneticOptions {
    int population = 100;
    int generations = 50;
    double parentFraction = 0.2;  // best fraction kept as parents and copied (elitism)
    double mutationRate = 0.3;    // per further member, after one guaranteed swap
    int keep = 3;                 // K best distinct sets returned
    uint64_t seed = 0;
    bool forceGenetic = false;    // search even when enumeration would be cheaper (tests)
};

struct GenerationStats {
    int generation = 0;
    double best = 0.0, mean = 0.0, worst = 0.0;
    std::vector<int> bestSet;
    int evaluations = 0;  // distinct sets evaluated so far
};

struct Candidate {
    std::vector<int> set;  // sorted expert ids
    double fitness = 0.0;
};

struct SearchResult {
    bool exhaustive = false;          // the space was enumerated: best is the exact optimum
    std::vector<GenerationStats> history;
    std::vector<Candidate> best;      // K best distinct sets, ascending fitness
    int evaluations = 0;
};

// Number of k-subsets of n, saturating at UINT64_MAX.
uint64_t binomial(int n, int k);

// Searches sets of `prune` experts drawn from `experts`. `onGeneration` receives each generation's
// statistics (one call for an enumeration); returning false cancels (moewb::Cancelled).
SearchResult searchLayer(const std::vector<int>& experts, int prune,
                         const std::function<double(const std::vector<int>&)>& fitness,
                         const GeneticOptions& options = {},
                         const std::function<bool(const GenerationStats&)>& onGeneration = {});

} // namespace moewb
