#include "core/analysis/session_analysis.h"

#include "core/io/error.h"

#include <fmt/format.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

namespace moewb {

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// Columns are expert ids (the source model's numbering); experts a layer lacks are NaN.
Array<double> table(const std::vector<LayerAnalysis>& layers, int64_t width,
                    const std::function<const std::vector<double>&(const LayerAnalysis&)>& values)
{
    Array<double> t{{static_cast<int64_t>(layers.size()), width},
                    std::vector<double>(layers.size() * static_cast<size_t>(width), kMissing)};
    for (size_t row = 0; row < layers.size(); ++row) {
        const auto& v = values(layers[row]);
        for (size_t j = 0; j < layers[row].expertIds.size(); ++j)
            t.data[row * static_cast<size_t>(width) + static_cast<size_t>(layers[row].expertIds[j])] = v[j];
    }
    return t;
}

std::vector<double> row(const Array<double>& t, size_t r, const std::vector<int>& ids)
{
    std::vector<double> out;
    for (int id : ids)
        out.push_back(t.data[r * static_cast<size_t>(t.shape[1]) + static_cast<size_t>(id)]);
    return out;
}

// The cached analysis when router statistics and importance match the session's stamp and cover
// exactly the model's MoE layers; empty otherwise.
std::vector<LayerAnalysis> cachedAnalysis(const Session& session, const ModelSpec& spec)
{
    const auto& stats = session.routerStats();
    const auto& importance = session.importance();
    const auto moeLayers = spec.moeLayerIndices();
    if (!stats || !importance || stats->stamp != session.currentStamp() || importance->stamp != session.currentStamp()
        || stats->layers != moeLayers || importance->layers != moeLayers)
        return {};
    std::vector<LayerAnalysis> layers;
    for (size_t r = 0; r < moeLayers.size(); ++r) {
        LayerAnalysis a;
        a.layer = moeLayers[r];
        a.moeIndex = static_cast<int>(r);
        for (int j = 0; j < spec.layers[static_cast<size_t>(a.layer)].numExperts; ++j)
            a.expertIds.push_back(j);
        if (importance->expertLoss.shape.size() != 2 || importance->expertLoss.shape[1] < std::ssize(a.expertIds))
            return {};
        a.expertLoss = row(importance->expertLoss, r, a.expertIds);
        a.importance = importance->layerImportance[r];
        a.routing.selectionFrequency = row(stats->selectionFrequency, r, a.expertIds);
        a.routing.meanGateWeight = row(stats->meanGateWeight, r, a.expertIds);
        a.routing.softmaxMass = row(stats->softmaxMass, r, a.expertIds);
        layers.push_back(std::move(a));
    }
    return layers;
}

void storeTables(Session& session, const std::vector<LayerAnalysis>& layers)
{
    int64_t width = 0;
    std::vector<int> ids;
    std::vector<double> importance;
    for (const auto& a : layers) {
        for (int e : a.expertIds)
            width = std::max<int64_t>(width, e + 1);
        ids.push_back(a.layer);
        importance.push_back(a.importance);
    }
    RouterStats stats;
    stats.layers = ids;
    stats.selectionFrequency = table(layers, width, [](const LayerAnalysis& a) -> const auto& { return a.routing.selectionFrequency; });
    stats.meanGateWeight = table(layers, width, [](const LayerAnalysis& a) -> const auto& { return a.routing.meanGateWeight; });
    stats.softmaxMass = table(layers, width, [](const LayerAnalysis& a) -> const auto& { return a.routing.softmaxMass; });
    session.setRouterStats(std::move(stats));
    session.setImportance({ids, table(layers, width, [](const LayerAnalysis& a) -> const auto& { return a.expertLoss; }),
                           importance, {}});
}

Allocation allocate(Session& session, const ModelSpec& spec, const std::vector<LayerAnalysis>& layers,
                    const SessionAnalysisOptions& options)
{
    AllocationInput input;
    input.ratio = options.ratio;
    std::map<int, int> position;
    for (const auto& a : layers) {
        position[a.layer] = a.moeIndex;
        input.layerImportance.push_back(a.importance);
        input.experts.push_back(static_cast<int>(a.expertIds.size()));
        input.topK.push_back(spec.layers[static_cast<size_t>(a.layer)].topK);
    }
    for (const auto& [layer, count] : options.overrides) {
        auto it = position.find(layer);
        if (it == position.end())
            fail("pruning count override for layer {}: not a MoE layer of this model", layer);
        input.overrides[it->second] = count;
    }
    Allocation allocation = allocatePruningCounts(input);
    PruningCounts counts;
    counts.ratio = options.ratio;
    counts.requested = allocation.requested;
    counts.counts = allocation.counts;
    for (const auto& a : layers) {
        counts.layers.push_back(a.layer);
        counts.overridden.push_back(options.overrides.count(a.layer) ? 1 : 0);
    }
    session.setAllocation(std::move(counts));
    return allocation;
}

} // namespace

std::string blockInputName(int layer)
{
    return fmt::format("layer_{:03}/block_input", layer);
}

torch::Tensor loadBlockInput(const Session& session, int layer)
{
    const std::string name = blockInputName(layer);
    if (!session.arrayInfo("activations/" + name))
        fail("{}: no block input for layer {} (run `moe-compress analyze` with room for block inputs)",
             session.path().empty() ? std::string("session") : session.path().string(), layer);
    Array<float> a = session.activation(name);
    return torch::from_blob(a.data.data(), a.shape, torch::kFloat).clone();
}

std::vector<int> storedBlockInputLayers(const Session& session)
{
    std::vector<int> layers;
    for (const std::string& name : session.activationNames()) {
        int layer = 0;
        if (name.size() == 21 && name.ends_with("/block_input") && std::sscanf(name.c_str(), "layer_%d", &layer) == 1)
            layers.push_back(layer);
    }
    std::sort(layers.begin(), layers.end());
    return layers;
}

std::vector<std::string> bindSession(Session& session, const MoeModel& model, const TokenBlocks& blocks)
{
    const std::string modelHash = model.checkpoint().identityHash();
    session.requireModel(modelHash, model.path());
    const auto report = session.checkCompatibility(modelHash, blocks.dataHash);
    session.dropStale(report);
    session.setSource({model.path(), readUtf8File(model.path() / "config.json"), modelHash});
    session.setCalibration({blocks.source, blocks.count(), blocks.length(), blocks.options.seed, blocks.dataHash});
    return report.staleSections;
}

SessionAnalysisResult analyzeIntoSession(const MoeModel& model, const TokenBlocks& blocks, Session& session,
                                         const std::filesystem::path& path, const SessionAnalysisOptions& options)
{
    const auto& spec = model.spec();
    SessionAnalysisResult result;
    result.dropped = bindSession(session, model, blocks);

    const auto moeLayers = spec.moeLayerIndices();
    result.blockInputBytes = static_cast<int64_t>(moeLayers.size()) * blocks.tokens() * spec.hiddenSize * 4;
    if (!options.recompute)
        result.layers = cachedAnalysis(session, spec);
    result.reused = !result.layers.empty() || moeLayers.empty();
    if (!result.reused) {
        session.save(path);
        const bool keepInputs = options.maxBlockInputBytes > 0 && result.blockInputBytes <= options.maxBlockInputBytes;
        AnalysisOptions analysis;
        analysis.batchTokens = options.batchTokens;
        analysis.progress = options.progress;
        analysis.onLayer = options.onLayer;
        if (keepInputs)
            analysis.onCapture = [&](const LayerCapture& c) {
                auto x = c.blockInput.to(torch::kCPU, torch::kFloat).contiguous();
                Array<float> a{x.sizes().vec(), std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel())};
                session.putActivation(blockInputName(c.layer), std::move(a));
            };
        const auto start = std::chrono::steady_clock::now();
        result.layers = analyzeImportance(model, blocks.ids, analysis);
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        storeTables(session, result.layers);
        session.provenance().timings["analysis"] = result.seconds;
    }
    result.allocation = allocate(session, spec, result.layers, options);
    auto& parameters = session.provenance().parameters;
    parameters["analysis"] = {{"ratio", options.ratio}, {"samples", blocks.count()}, {"sequence_length", blocks.length()},
                              {"seed", blocks.options.seed}, {"data_path", blocks.source}};
    session.save(path);
    result.blockInputsStored = static_cast<int>(storedBlockInputLayers(session).size());
    return result;
}

} // namespace moewb
