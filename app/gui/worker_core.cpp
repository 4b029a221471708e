// Job bodies of the worker bridge. Core headers come before Qt's (LibTorch and Qt keywords; app/ is
// also compiled with QT_NO_KEYWORDS).
#include "app/gui/worker_core.h"

#include "app/gui/core_adapters.h"
#include "app/gui/demo_paths.h"
#include "app/gui/worker.h"
#include "core/analysis/session_analysis.h"
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/search/search_inputs.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <QThread>
#include <algorithm>

namespace moewb::gui {

namespace {

using Delivery = Worker::Delivery;
constexpr uint64_t kResidentBytes = 1ull << 30;

} // namespace

WorkerCore::WorkerCore(Worker* facade)
    : m_facade(facade)
{
}

WorkerCore::~WorkerCore() = default;

void WorkerCore::run(int job, const std::function<void(WorkerCore&, int)>& body)
{
    const auto terminal = [this, job](std::function<void(Worker&)> emitter) {
        m_facade->post(job, Delivery::Always, [emitter = std::move(emitter)](Worker& w) {
            --w.m_pending;
            emitter(w);
        });
    };
    m_pausedAnalysis = m_pausedSearch = false;
    try {
        if (m_facade->cancelled(job))
            throw Cancelled();
        body(*this, job);
        publishSnapshot(job);
        terminal([job](Worker& w) { Q_EMIT w.jobFinished(job); });
    } catch (const Cancelled&) {
        publishSnapshot(job); // the views go back to what the session holds: the previous results
        terminal([job](Worker& w) { Q_EMIT w.jobCancelled(job); });
    } catch (const std::exception& e) {
        publishSnapshot(job);
        const QString message = QString::fromUtf8(e.what());
        terminal([job, message](Worker& w) { Q_EMIT w.jobFailed(job, message); });
    }
}

void WorkerCore::publishSnapshot(int job)
{
    SessionSnapshot snap = snapshotOf(m_session, QString::fromStdString(m_sessionPath.string()));
    m_facade->post(
        job, Delivery::Current, [snap = std::move(snap)](Worker& w) { Q_EMIT w.sessionChanged(snap); });
}

bool WorkerCore::checkpoint(int job)
{
    m_facade->m_lastCallbackThread = QThread::currentThread();
    return !m_facade->cancelled(job);
}

bool WorkerCore::progress(int job, double fraction)
{
    if (!checkpoint(job))
        return false;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_lastProgress >= std::chrono::milliseconds(50) || fraction >= 1.0) {
        m_lastProgress = now;
        m_facade->post(job, Delivery::Live, [fraction](Worker& w) { Q_EMIT w.progressChanged(fraction); });
    }
    return true;
}

void WorkerCore::stage(int job, const QString& name)
{
    if (m_facade->cancelled(job))
        throw Cancelled();
    m_facade->post(job, Delivery::Live, [name](Worker& w) {
        Q_EMIT w.stageChanged(name);
        Q_EMIT w.progressChanged(0.0);
    });
}

void WorkerCore::pauseForTest(int job, const QString& name)
{
    while (m_resume.tryAcquire()) // releases from before this pause do not count
        ;
    m_facade->post(job, Delivery::Always, [name](Worker& w) { Q_EMIT w.pausedForTest(name); });
    while (!m_facade->cancelled(job) && !m_resume.tryAcquire(1, 50))
        ;
}

void WorkerCore::requireModel() const
{
    if (!m_model)
        fail("no model is open: open a checkpoint or a demo model first");
}

std::filesystem::path WorkerCore::workingSessionPath() const
{
    if (!m_sessionPath.empty())
        return m_sessionPath;
    return std::filesystem::path(m_scratch.path().toStdString()) / "untitled.h5";
}

void WorkerCore::openModel(int job, const QString& directory)
{
    stage(job, tr("Opening %1").arg(directory));
    auto model = MoeModel::open(directory.toStdString(), ComputeOptions{torch::kFloat, torch::kCPU});
    if (model->checkpoint().totalBytes() <= kResidentBytes)
        model->makeResident();
    if (!checkpoint(job))
        throw Cancelled();
    m_model = std::move(model);
    if (!m_session.source() || m_session.source()->path != m_model->path()) {
        m_session = Session(); // a new model starts a new session
        m_sessionPath.clear();
    }
    ModelSummary summary = summarizeModel(*m_model);
    summary.device = tr("CPU, %1 threads").arg(torch::get_num_threads());
    const QString sessionPath = QString::fromStdString(m_sessionPath.string());
    m_facade->post(job, Delivery::Live, [summary, sessionPath](Worker& w) {
        w.m_sessionPath = sessionPath;
        Q_EMIT w.modelOpened(summary);
    });
}

void WorkerCore::openSession(int job, const QString& file)
{
    stage(job, tr("Opening session %1").arg(file));
    Session session = Session::open(file.toStdString());
    m_session = std::move(session);
    m_sessionPath = file.toStdString();
    if (const auto& source = m_session.source()) {
        std::error_code ec;
        const bool exists = std::filesystem::exists(source->path / "config.json", ec);
        if (exists && (!m_model || m_model->path() != source->path))
            openModel(job, QString::fromStdString(source->path.string()));
    }
    m_facade->post(job, Delivery::Always, [file](Worker& w) { w.m_sessionPath = file; });
}

void WorkerCore::saveSession(int job, const QString& file)
{
    stage(job, tr("Saving session %1").arg(file));
    m_session.save(file.toStdString());
    m_sessionPath = file.toStdString();
    m_facade->post(job, Delivery::Always, [file](Worker& w) {
        w.m_sessionPath = file;
        Q_EMIT w.sessionSaved(file);
    });
}

TokenBlocks WorkerCore::calibration(const RunSettings& s) const
{
    const auto& spec = m_model->spec();
    const QString path = s.calibrationPath.isEmpty() ? demoCalibrationPath() : s.calibrationPath;
    if (path.isEmpty())
        fail("no calibration text chosen and the demo calibration text (resources/demo/calib.txt) was not "
             "found");
    const auto tokenizerPath = m_model->path() / "tokenizer.json";
    std::error_code ec;
    if (!std::filesystem::exists(tokenizerPath, ec))
        fail("{}: no tokenizer.json in the model folder, so the calibration text cannot be tokenised",
            m_model->path().string());
    int64_t length = s.sequenceLength;
    if (spec.maxPositionEmbeddings > 0)
        length = std::min<int64_t>(length, spec.maxPositionEmbeddings);
    const BlockOptions options{s.samples, length, BlockSelection::Random, s.calibrationSeed};
    return loadTextBlocks(path.toStdString(), Tokenizer::fromFile(tokenizerPath), options);
}

void WorkerCore::runPipeline(int job, const RunSettings& settings, bool withSearch)
{
    requireModel();
    stage(job, tr("Reading calibration text"));
    const TokenBlocks blocks = calibration(settings);
    const auto counts = analysisStage(job, settings, blocks);
    if (withSearch)
        searchStage(job, settings, blocks, counts);
}

std::map<int, int> WorkerCore::analysisStage(int job, const RunSettings& s, const TokenBlocks& blocks)
{
    const auto& spec = m_model->spec();
    int experts = 0;
    QStringList labels;
    for (int layer : spec.moeLayerIndices()) {
        experts = std::max(experts, spec.layers[static_cast<size_t>(layer)].numExperts);
        labels << tr("layer %1").arg(layer);
    }
    stage(job, tr("Calibration and importance"));
    m_facade->post(
        job, Delivery::Live, [labels, experts](Worker& w) { Q_EMIT w.analysisStarted(labels, experts); });

    SessionAnalysisOptions o;
    o.ratio = s.ratio;
    o.recompute = s.recompute;
    if (const auto& a = m_session.allocation()) // counts fixed by hand survive a new analysis
        for (size_t i = 0; i < a->layers.size() && i < a->overridden.size(); ++i)
            if (a->overridden[i])
                o.overrides[a->layers[i]] = a->counts[i];
    o.progress = [this, job](double f) { return progress(job, f); };
    o.onLayer = [this, job, experts](const LayerAnalysis& a) {
        checkpoint(job);
        LayerRow row = layerRow(a, experts);
        m_facade->post(
            job, Delivery::Live, [row = std::move(row)](Worker& w) { Q_EMIT w.layerAnalyzed(row); });
        if (m_facade->m_pauseForTests && !m_pausedAnalysis) {
            m_pausedAnalysis = true;
            pauseForTest(job, QStringLiteral("analysis"));
        }
    };
    const auto result = analyzeIntoSession(*m_model, blocks, m_session, workingSessionPath(), o);
    if (result.reused) // cached: the rows arrive at once
        for (const auto& a : result.layers) {
            LayerRow row = layerRow(a, experts);
            m_facade->post(
                job, Delivery::Live, [row = std::move(row)](Worker& w) { Q_EMIT w.layerAnalyzed(row); });
        }
    AllocationInfo info;
    info.ratio = s.ratio;
    std::map<int, int> counts;
    for (size_t i = 0; i < result.layers.size(); ++i) {
        info.layers.push_back(result.layers[i].layer);
        info.importance.push_back(result.layers[i].importance);
        info.counts.push_back(result.allocation.counts[i]);
        counts[result.layers[i].layer] = result.allocation.counts[i];
    }
    m_facade->post(job, Delivery::Live, [info](Worker& w) { Q_EMIT w.allocationReady(info); });
    return counts;
}

void WorkerCore::searchStage(
    int job, const RunSettings& s, const TokenBlocks& blocks, const std::map<int, int>& counts)
{
    const auto& spec = m_model->spec();
    const auto moeLayers = spec.moeLayerIndices();
    std::vector<int> blockStarts;
    for (const auto& b : partitionBlocks(moeLayers, s.blockSize))
        blockStarts.push_back(b.front());
    stage(job, tr("Capturing search inputs"));
    const SearchInputs inputs = captureSearchInputs(
        *m_model, blocks.ids, counts, blockStarts, [this, job](double f) { return progress(job, f); });

    ModelSearchOptions so;
    so.genetic.population = s.population;
    so.genetic.generations = s.generations;
    so.genetic.keep = s.candidates;
    so.genetic.seed = s.seed;
    so.genetic.forceGenetic = s.forceGenetic;
    so.kt.blockSize = s.blockSize;
    so.kt.candidates = s.candidates;
    so.planName = "moe-i2-search";
    const auto problems = layerProblems(inputs, counts);
    int total = 0;
    for (const auto& p : problems)
        total += expectedGenerations(p, so.genetic);
    AllocationInfo info;
    for (const auto& [layer, count] : counts) {
        info.layers.push_back(layer);
        info.counts.push_back(count);
    }
    stage(job, tr("Genetic search"));
    m_facade->post(job, Delivery::Live, [info](Worker& w) { Q_EMIT w.searchStarted(info); });
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
    ModelSearchResult result;
    result.layers = searchLayers(problems, so);

    stage(job, tr("KT block search"));
    so.kt.progress = [this, job](double f) { return progress(job, f); };
    so.kt.onBlock = [this, job, K = s.candidates](const BlockResult& b) {
        BlockRow row = blockRow(b, K);
        m_facade->post(job, Delivery::Live, [row = std::move(row)](Worker& w) { Q_EMIT w.blockReady(row); });
    };
    result.blocks = searchBlocks(
        *m_model, layerCandidates(result.layers),
        [&inputs](int layer) { return inputs.layerInputs.at(layer); }, so.kt, &result.ktCounters);
    result.plan = removalPlan(result.layers, &result.blocks, so);
    result.plan.parameters["ratio"] = s.ratio;
    if (const auto issues = validatePlan(spec, result.plan); !issues.empty())
        fail("search: the plan is invalid: {}", fmt::join(issues, "; "));

    // Only a finished search replaces the session's records: a cancel above leaves the previous ones.
    stage(job, tr("Saving session"));
    m_session.clearSearches();
    for (const auto& l : result.layers)
        m_session.setSearch(l);
    m_session.setBlockSearch(result.blocks);
    m_session.setPlan(result.plan);
    m_session.provenance().parameters["search"] = result.plan.parameters;
    m_session.save(workingSessionPath());
}

} // namespace moewb::gui
