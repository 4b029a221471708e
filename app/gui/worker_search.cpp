// The search stages of the worker (after the analysis stage in worker_core.cpp): capture of the
// search inputs, fast losses, genetic search and KT block search. Each stage's result stays in the
// worker's StageCache with the key of the parameters it depends on, so changing T re-runs only the
// block search and changing the ratio re-runs the allocation, the searches and nothing before.
#include "app/gui/core_adapters.h"
#include "app/gui/parameter_checks.h"
#include "app/gui/worker.h"
#include "app/gui/worker_core.h"
#include "core/analysis/calibration.h"
#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"
#include "core/pipeline/search_stage.h"
#include "core/search/search_inputs.h"

#include <fmt/format.h>
#include <torch/types.h>

namespace moewb::gui {

namespace {

using Delivery = Worker::Delivery;

ModelSearchOptions searchOptions(const RunSettings& s)
{
    ModelSearchOptions so;
    so.genetic.population = s.population;
    so.genetic.generations = s.generations;
    so.genetic.keep = s.candidates;
    so.genetic.seed = s.seed;
    so.genetic.forceGenetic = s.forceGenetic;
    so.kt.blockSize = s.blockSize;
    so.kt.candidates = s.candidates;
    so.planName = "moe-i2-search";
    return so;
}

} // namespace

void WorkerCore::captureStage(int job, int64_t batchTokens)
{
    if (m_cache.captureKey == m_cache.tokensKey && !m_cache.captured.empty())
        return;
    stage(job, tr("Capturing search inputs"));
    std::map<int, StageCache::CapturedLayer> captured;
    CalibrationOptions options;
    options.batchTokens = batchTokens;
    options.progress = [this, job](double f) { return progress(job, f); };
    options.onLayer = [&captured](const LayerCapture& c) {
        captured[c.layer] = {c.moe, c.blockInput, c.weights->moe->expertIds};
    };
    runCalibration(*m_model, m_cache.tokens->ids, options);
    m_cache.captured = std::move(captured);
    m_cache.captureKey = m_cache.tokensKey;
    m_cache.fastLoss.clear();
}

std::vector<LayerProblem> WorkerCore::fastLossStage(int job, const std::map<int, int>& counts)
{
    const auto& spec = m_model->spec();
    std::vector<int> missing;
    for (const auto& [layer, count] : counts) {
        const auto it = m_cache.fastLoss.find(layer);
        if (count > 0 && (it == m_cache.fastLoss.end() || it->second.first != count))
            missing.push_back(layer);
    }
    if (!missing.empty())
        stage(job, tr("Precomputing fast losses"));
    for (size_t i = 0; i < missing.size(); ++i) {
        const int layer = missing[i];
        const auto weights = m_model->layer(layer);
        const auto part = [this, job, i, n = missing.size()](double f) { return progress(job, (i + f) / n); };
        auto loss = std::make_shared<FastLayerLoss>(spec, spec.layers[static_cast<size_t>(layer)],
            *weights.moe, m_cache.captured.at(layer).moe, counts.at(layer), part);
        countCompute("fast_loss");
        m_cache.fastLoss[layer] = {counts.at(layer), std::move(loss)};
    }
    std::vector<LayerProblem> problems;
    for (const auto& [layer, count] : counts) {
        LayerProblem p;
        p.layer = layer;
        p.experts = m_cache.captured.at(layer).experts;
        p.prune = count;
        if (count > 0) {
            std::shared_ptr<FastLayerLoss> fast = m_cache.fastLoss.at(layer).second;
            p.fitness = [fast](const std::vector<int>& set) { return fast->loss(set); };
        } else {
            p.fitness = [](const std::vector<int>&) { return 0.0; };
        }
        problems.push_back(std::move(p));
    }
    return problems;
}

std::vector<LayerSearch> WorkerCore::geneticStage(
    int job, const RunSettings& s, const std::vector<LayerProblem>& problems)
{
    const QString key = geneticKey(s);
    if (m_cache.geneticKey == key)
        return m_cache.layers;
    m_cache.geneticKey.clear();
    m_cache.blockKey.clear();
    ModelSearchOptions so = searchOptions(s);
    int total = 0;
    for (const auto& p : problems)
        total += expectedGenerations(p, so.genetic);
    stage(job, tr("Genetic search"));
    int done = 0;
    so.onGeneration = [&, job](int layer, const GenerationStats& g) { // serialised by core
        const GenerationPoint point{layer, g.generation, g.best, g.mean, g.worst};
        m_facade->post(job, Delivery::Live, [point](Worker& w) { Q_EMIT w.generationReady(point); });
        if (m_facade->m_pauseForTests && !m_pausedSearch) {
            m_pausedSearch = true;
            pauseForTest(job, QStringLiteral("search"));
        }
        return progress(job, total > 0 ? double(++done) / total : 1.0);
    };
    m_cache.layers = searchLayers(problems, so);
    m_cache.geneticKey = key;
    return m_cache.layers;
}

BlockSearch WorkerCore::blockStage(int job, const RunSettings& s, const std::vector<LayerSearch>& layers)
{
    const QString key = blockKey(s);
    if (m_cache.blockKey == key)
        return m_cache.blocks;
    m_cache.blockKey.clear();
    KtOptions kt = searchOptions(s).kt;
    stage(job, tr("KT block search"));
    kt.progress = [this, job](double f) { return progress(job, f); };
    kt.onBlock = [this, job, K = s.candidates](const BlockResult& b) {
        BlockRow row = blockRow(b, K);
        m_facade->post(job, Delivery::Live, [row = std::move(row)](Worker& w) { Q_EMIT w.blockReady(row); });
    };
    const auto inputs = [this](int layer) { return m_cache.captured.at(layer).blockInput; };
    m_cache.blocks = searchBlocks(*m_model, layerCandidates(layers), inputs, kt);
    m_cache.blockKey = key;
    return m_cache.blocks;
}

void WorkerCore::searchStage(int job, const RunSettings& s, const std::map<int, int>& counts)
{
    const auto& spec = m_model->spec();
    captureStage(job, s.batchTokens);
    const auto problems = fastLossStage(job, counts);
    AllocationInfo info;
    for (const auto& [layer, count] : counts) {
        info.layers.push_back(layer);
        info.counts.push_back(count);
    }
    m_facade->post(job, Delivery::Live, [info](Worker& w) { Q_EMIT w.searchStarted(info); });
    const std::vector<LayerSearch> layers = geneticStage(job, s, problems);
    const BlockSearch blocks = blockStage(job, s, layers);

    // Only a finished search replaces the session's records: a cancel above leaves the previous ones.
    // Stored as the CLI's search stores it: the plan's search parameters and counts, and
    // "moe-i2-search-ga" (the genetic search's own choice).
    stage(job, tr("Saving session"));
    const std::string dataHash = m_session.calibration() ? m_session.calibration()->dataHash : std::string();
    const ModelSearchOptions so = searchOptions(s);
    storeSearch(m_session, spec, layers, &blocks, so, searchParameters(so, s.ratio, dataHash), counts);
    m_session.save(workingSessionPath());
}

} // namespace moewb::gui
