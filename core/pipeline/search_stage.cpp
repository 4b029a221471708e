// The MoE-I² pruning search as a session stage (search_stage.h).
#include "core/pipeline/search_stage.h"

#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"

#include <chrono>

namespace moewb {

namespace {

double since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

nlohmann::json searchParameters(const ModelSearchOptions& search, double ratio, const std::string& calibrationHash)
{
    const auto& g = search.genetic;
    nlohmann::json j = {{"selection", search.blockSearch ? "kt" : "genetic"}, {"population", g.population},
                        {"generations", g.generations}, {"parent_fraction", g.parentFraction},
                        {"mutation_rate", g.mutationRate}, {"seed", g.seed}, {"K", g.keep}, {"ratio", ratio},
                        {"force_genetic", g.forceGenetic}, {"calibration_hash", calibrationHash}};
    if (search.blockSearch)
        j["T"] = search.kt.blockSize;
    return j;
}

const Plan& storeSearch(Session& session, const ModelSpec& spec, const std::vector<LayerSearch>& layers,
                        const BlockSearch* blocks, const ModelSearchOptions& search, const nlohmann::json& parameters,
                        const std::map<int, int>& counts)
{
    Plan plan = removalPlan(layers, blocks, search);
    plan.parameters.update(parameters);
    plan.parameters["counts"] = counts;
    if (const auto issues = validatePlan(spec, plan); !issues.empty())
        fail("search: the plan is invalid: {}", fmt::join(issues, "; "));

    session.clearSearches();
    for (const auto& l : layers)
        session.setSearch(l);
    // Without the block search an empty record replaces an earlier block search.
    session.setBlockSearch(blocks ? *blocks : BlockSearch{search.genetic.keep, search.kt.blockSize, {}, {}});
    session.setPlan(plan);
    if (blocks) { // the genetic search alone (each layer's best set), for comparisons
        Plan ga = removalPlan(layers, nullptr, search);
        ga.name = search.planName + "-ga";
        ga.parameters.update(parameters);
        ga.parameters["selection"] = "genetic";
        ga.parameters.erase("T");
        ga.parameters["counts"] = counts;
        session.setPlan(ga);
    }
    session.provenance().parameters["search"] = plan.parameters;
    return session.plans().at(search.planName).plan;
}

SearchStageResult searchIntoSession(const MoeModel& model, const TokenBlocks& blocks, Session& session,
                                    const std::filesystem::path& sessionPath, SearchStageOptions o)
{
    SearchStageResult out;
    const auto& spec = model.spec();
    const auto moeLayers = spec.moeLayerIndices();
    if (moeLayers.empty())
        fail("search: the model has no MoE layers");
    auto report = [&](const char* stage) {
        return [&o, stage](double f) { return !o.progress || o.progress(stage, f); };
    };
    o.analysis.progress = report("analysis");
    out.analysis = analyzeIntoSession(model, blocks, session, sessionPath, o.analysis);
    std::map<int, int> counts;
    for (size_t i = 0; i < out.analysis.layers.size(); ++i)
        counts[out.analysis.layers[i].layer] = out.analysis.allocation.counts[i];
    const std::string dataHash = session.calibration() ? session.calibration()->dataHash : std::string();
    const nlohmann::json key = searchParameters(o.search, o.analysis.ratio, dataHash);

    if (!o.recompute) {
        const auto it = session.plans().find(o.search.planName);
        if (it != session.plans().end() && it->second.stamp.modelHash == session.currentStamp().modelHash) {
            nlohmann::json stored = it->second.plan.parameters;
            stored.erase("counts");
            nlohmann::json want = key;
            bool sameCounts = it->second.plan.parameters.value("counts", nlohmann::json()) == nlohmann::json(counts);
            if (stored == want && sameCounts) {
                out.reused = true;
                out.plan = &it->second.plan;
                return out;
            }
        }
    }

    countCompute("search");
    auto start = std::chrono::steady_clock::now();
    std::vector<int> blockStarts;
    for (const auto& b : partitionBlocks(moeLayers, o.search.kt.blockSize))
        blockStarts.push_back(b.front());
    const SearchInputs inputs = captureSearchInputs(model, blocks.ids, counts,
                                                    o.search.blockSearch ? blockStarts : std::vector<int>{},
                                                    report("calibration"), o.analysis.batchTokens);
    out.calibrationSeconds = since(start);

    const auto problems = layerProblems(inputs, counts);
    for (const auto& p : problems)
        out.totalGenerations += expectedGenerations(p, o.search.genetic);
    start = std::chrono::steady_clock::now();
    int done = 0;
    auto& so = o.search;
    so.onGeneration = [&](int layer, const GenerationStats& g) {
        if (o.onGeneration)
            o.onGeneration(layer, g);
        return !o.progress || o.progress("genetic search", double(++done) / std::max(1, out.totalGenerations));
    };
    out.search.layers = searchLayers(problems, so);
    out.geneticSeconds = since(start);
    start = std::chrono::steady_clock::now();
    if (so.blockSearch) {
        so.kt.candidates = so.genetic.keep;
        so.kt.progress = report("block search");
        out.search.blocks = searchBlocks(model, layerCandidates(out.search.layers),
                                         [&](int l) { return inputs.layerInputs.at(l); }, so.kt, &out.search.ktCounters);
    } else {
        out.search.blocks = BlockSearch{so.genetic.keep, so.kt.blockSize, {}, {}}; // replaces an earlier block search
    }
    out.blockSeconds = since(start);
    out.plan = &storeSearch(session, spec, out.search.layers, so.blockSearch ? &out.search.blocks : nullptr, so, key, counts);
    out.search.plan = *out.plan;
    session.provenance().timings["search_calibration"] = out.calibrationSeconds;
    session.provenance().timings["search_genetic"] = out.geneticSeconds;
    session.provenance().timings["search_blocks"] = out.blockSeconds;
    return out;
}

} // namespace moewb
