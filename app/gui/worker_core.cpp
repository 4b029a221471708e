// Job bodies of the worker bridge. Core headers come before Qt's (LibTorch and Qt keywords; app/ is
// also compiled with QT_NO_KEYWORDS).
#include "app/gui/worker_core.h"

#include "app/gui/core_adapters.h"
#include "app/gui/demo_paths.h"
#include "app/gui/parameter_checks.h"
#include "app/gui/worker.h"
#include "core/analysis/session_analysis.h"
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/residency.h"
#include "core/search/search_inputs.h"
#include "core/util/torch_errors.h"

#include <fmt/format.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <QThread>
#include <algorithm>

namespace moewb::gui {

namespace {

using Delivery = Worker::Delivery;

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
        const QString message = QString::fromStdString(errorMessage(e)); // LibTorch errors without their backtrace
        terminal([job, message](Worker& w) { Q_EMIT w.jobFailed(job, message); });
    }
}

void WorkerCore::publishSnapshot(int job)
{
    SessionSnapshot snap = snapshotOf(m_session, QString::fromStdString(m_sessionPath.string()),
        m_model ? &m_model->spec() : nullptr, m_rankPlan);
    snap.workingPath = QString::fromStdString(workingSessionPath().string());
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

QString WorkerCore::calibrationKeyOf(const RunSettings& settings)
{
    return calibrationKey(settings);
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
    const torch::Device device(m_device.toStdString()); // validated by Preferences against this machine
    auto model = moewb::openModel(directory.toStdString(), ComputeOptions{torch::kFloat, device});
    if (!checkpoint(job))
        throw Cancelled();
    m_cache = StageCache(); // its fast losses refer to the old model
    m_model = std::move(model);
    m_modelDevice = m_device;
    if (const auto& source = m_session.source(); source && source->path != m_model->path()
        && !source->identityHash.empty() && source->identityHash == m_model->checkpoint().identityHash()) {
        // The session's checkpoint from another folder (moved, copied): keep the session, name the new place.
        SourceModel moved = *source;
        moved.path = m_model->path();
        m_session.setSource(moved);
    }
    if (!m_session.source() || m_session.source()->path != m_model->path()) {
        m_session = Session(); // a new model starts a new session
        m_sessionPath.clear();
    }
    ModelSummary summary = summarizeModel(*m_model);
    summary.device = device.is_cpu() ? tr("CPU, %1 threads").arg(torch::get_num_threads())
                                     : tr("CUDA device %1").arg(device.index());
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
    m_cache = StageCache();
    m_sessionPath = file.toStdString();
    if (const auto& source = m_session.source()) {
        std::error_code ec;
        const bool exists = std::filesystem::exists(source->path / "config.json", ec);
        if (exists && (!m_model || m_model->path() != source->path))
            openModel(job, QString::fromStdString(source->path.string()));
        else if (!exists) { // File ▸ Open model on the moved checkpoint keeps this session (openModel)
            const QString message = tr("The session's model folder %1 is not there: open the model where it is "
                                       "now (the same checkpoint keeps this session).")
                                        .arg(QString::fromStdString(source->path.string()));
            m_facade->post(job, Delivery::Always, [message](Worker& w) { Q_EMIT w.notice(message); });
        }
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
    if (settings.recompute)
        m_cache = StageCache();
    cachedCalibration(job, settings); // moves the model first when the device changed
    std::map<int, int> counts;
    if (m_cache.allocationKey != allocationKey(settings) || !withSearch) {
        m_cache.allocationKey.clear();
        counts = analysisStage(job, settings, *m_cache.tokens);
        m_cache.counts = counts;
        m_cache.allocationKey = allocationKey(settings);
    } else {
        counts = m_cache.counts;
        m_facade->post(
            job, Delivery::Live, [info = m_cache.allocation](Worker& w) { Q_EMIT w.allocationReady(info); });
    }
    if (withSearch)
        searchStage(job, settings, counts);
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
    o.overrides = s.countOverrides; // the Parameters dock's (it shows a session's own when one opens)
    o.batchTokens = s.batchTokens;
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
        info.overridden.push_back(s.countOverrides.count(result.layers[i].layer) ? 1 : 0);
        counts[result.layers[i].layer] = result.allocation.counts[i];
    }
    m_cache.allocation = info;
    m_facade->post(job, Delivery::Live, [info](Worker& w) { Q_EMIT w.allocationReady(info); });
    return counts;
}

} // namespace moewb::gui
