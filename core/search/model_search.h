// The MoE-I² search over a whole model: the layer-wise genetic search on every MoE layer (layers
// are independent and run on the available cores), then the block-wise KT-reception field over the
// layers' K best sets, giving the session's LayerSearch / BlockSearch records and a removal plan.
// Deterministic for a seed, bit for bit: each layer's generator is seeded from (seed, layer) alone,
// so neither the thread count nor the order in which layers finish changes any result.
#pragma once
#include "core/search/genetic.h"
#include "core/search/kt_search.h"

#include <functional>
#include <vector>

namespace moewb {

// One MoE layer's search problem. `fitness` (the fast loss in practice) is called from a worker
// thread; different layers' fitness functions run at the same time.
struct LayerProblem {
    int layer = 0;              // decoder layer index
    std::vector<int> experts;   // original expert ids that may be removed
    int prune = 0;              // P_l
    std::function<double(const std::vector<int>&)> fitness;
};

struct ModelSearchOptions {
    GeneticOptions genetic;  // genetic.seed is the base seed; genetic.keep is K
    KtOptions kt;            // kt.candidates is set to genetic.keep
    bool blockSearch = true; // false: the plan takes each layer's best set (GA alone)
    // Every generation of every layer, serialised (one call at a time, from any thread); false cancels.
    std::function<bool(int layer, const GenerationStats&)> onGeneration;
    std::string planName = "moe-i2";
};

struct ModelSearchResult {
    std::vector<LayerSearch> layers;  // ascending layer order
    BlockSearch blocks;               // empty when blockSearch is false
    KtCounters ktCounters;
    Plan plan;
};

// The seed of layer `layer`'s genetic search.
uint64_t layerSeed(uint64_t seed, int layer);

// Generations `searchLayer` will report for this problem (1 when it enumerates).
int expectedGenerations(const LayerProblem& problem, const GeneticOptions& options);

// Genetic (or exhaustive) search of every layer, in parallel over at::get_num_threads() workers.
std::vector<LayerSearch> searchLayers(const std::vector<LayerProblem>& problems, const ModelSearchOptions& options);

// The layer searches' candidates in the form the KT search takes.
std::vector<LayerCandidates> layerCandidates(const std::vector<LayerSearch>& layers);

// Removal plan: each layer's chosen candidate (the block winner, or the best set without blocks).
Plan removalPlan(const std::vector<LayerSearch>& layers, const BlockSearch* blocks, const ModelSearchOptions& options);

// searchLayers, then searchBlocks from `inputs` (skipped when options.blockSearch is false), then the plan.
ModelSearchResult searchModel(const MoeModel& model, const std::vector<LayerProblem>& problems, const BlockInputFn& inputs,
                              const ModelSearchOptions& options);

} // namespace moewb
