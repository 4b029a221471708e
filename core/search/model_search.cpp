#include "core/search/model_search.h"

#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace moewb {

uint64_t layerSeed(uint64_t seed, int layer)
{
    // One SplitMix64 step over the base seed offset by the layer: distinct, well-mixed streams.
    uint64_t z = seed + 0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(layer) + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int expectedGenerations(const LayerProblem& problem, const GeneticOptions& options)
{
    const uint64_t space = binomial(static_cast<int>(problem.experts.size()), problem.prune);
    const bool enumerate = problem.prune == 0
        || (!options.forceGenetic && space <= uint64_t(options.population) * uint64_t(options.generations));
    return enumerate ? 1 : options.generations;
}

namespace {

nlohmann::json geneticParameters(const GeneticOptions& o, uint64_t seed)
{
    return {{"population", o.population},   {"generations", o.generations}, {"parent_fraction", o.parentFraction},
            {"mutation_rate", o.mutationRate}, {"keep", o.keep},              {"seed", o.seed},
            {"layer_seed", seed},              {"force_genetic", o.forceGenetic}};
}

LayerSearch toLayerSearch(const LayerProblem& p, const SearchResult& r, const GeneticOptions& o, uint64_t seed)
{
    LayerSearch s;
    s.layer = p.layer;
    s.pruneCount = p.prune;
    s.exhaustive = r.exhaustive;
    s.evaluations = r.evaluations;
    s.parameters = geneticParameters(o, seed);
    for (const auto& g : r.history) {
        s.bestFitness.push_back(g.best);
        s.meanFitness.push_back(g.mean);
        s.worstFitness.push_back(g.worst);
        s.bestSets.push_back(g.bestSet);
    }
    for (const auto& c : r.best)
        s.candidates.push_back({c.set, c.fitness});
    return s;
}

} // namespace

std::vector<LayerSearch> searchLayers(const std::vector<LayerProblem>& problems, const ModelSearchOptions& options)
{
    countCompute("genetic_search");
    for (const auto& p : problems)
        if (!p.fitness)
            fail("search: layer {} has no fitness function", p.layer);
    std::vector<LayerSearch> results(problems.size());
    std::mutex callbackLock;
    bool cancelled = false; // guarded by callbackLock
    auto searchOne = [&](size_t i) {
        const auto& p = problems[i];
        GeneticOptions o = options.genetic;
        o.seed = layerSeed(options.genetic.seed, p.layer);
        auto onGeneration = [&](const GenerationStats& g) {
            std::lock_guard lock(callbackLock);
            if (!cancelled && options.onGeneration && !options.onGeneration(p.layer, g))
                cancelled = true;
            return !cancelled;
        };
        results[i] = toLayerSearch(p, searchLayer(p.experts, p.prune, p.fitness, o, onGeneration), options.genetic, o.seed);
    };
    at::parallel_for(0, static_cast<int64_t>(problems.size()), 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            searchOne(static_cast<size_t>(i));
    });
    if (cancelled)
        throw Cancelled();
    std::sort(results.begin(), results.end(), [](const LayerSearch& a, const LayerSearch& b) { return a.layer < b.layer; });
    return results;
}

std::vector<LayerCandidates> layerCandidates(const std::vector<LayerSearch>& layers)
{
    std::vector<LayerCandidates> out;
    for (const auto& l : layers) {
        LayerCandidates c;
        c.layer = l.layer;
        for (const auto& cand : l.candidates)
            c.sets.push_back(cand.experts);
        if (c.sets.empty())
            fail("search: layer {} has no candidate sets", l.layer);
        out.push_back(std::move(c));
    }
    return out;
}

Plan removalPlan(const std::vector<LayerSearch>& layers, const BlockSearch* blocks, const ModelSearchOptions& options)
{
    std::map<int, int> chosen;
    if (blocks)
        for (const auto& b : blocks->blocks)
            for (size_t i = 0; i < b.layers.size(); ++i)
                chosen[b.layers[i]] = b.chosen[i];
    Plan plan;
    plan.name = options.planName;
    plan.method = "moe-i2";
    const auto& g = options.genetic;
    plan.parameters = {{"selection", blocks ? "kt" : "genetic"},
                       {"population", g.population},
                       {"generations", g.generations},
                       {"parent_fraction", g.parentFraction},
                       {"mutation_rate", g.mutationRate},
                       {"seed", g.seed},
                       {"K", g.keep}};
    if (blocks)
        plan.parameters["T"] = blocks->blockSize;
    for (const auto& l : layers) {
        const auto it = chosen.find(l.layer);
        const size_t pick = it == chosen.end() ? 0 : static_cast<size_t>(it->second);
        if (pick >= l.candidates.size())
            fail("search: layer {} has no candidate {}", l.layer, pick);
        const auto& set = l.candidates[pick].experts;
        if (!set.empty())
            plan.steps.push_back(RemoveExperts{l.layer, set});
    }
    return plan;
}

ModelSearchResult searchModel(const MoeModel& model, const std::vector<LayerProblem>& problems, const BlockInputFn& inputs,
                              const ModelSearchOptions& options)
{
    ModelSearchResult result;
    result.layers = searchLayers(problems, options);
    if (options.blockSearch && !result.layers.empty()) {
        KtOptions kt = options.kt;
        kt.candidates = options.genetic.keep;
        result.blocks = searchBlocks(model, layerCandidates(result.layers), inputs, kt, &result.ktCounters);
        result.plan = removalPlan(result.layers, &result.blocks, options);
    } else {
        result.plan = removalPlan(result.layers, nullptr, options);
    }
    return result;
}

} // namespace moewb
