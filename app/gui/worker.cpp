#include "app/gui/worker.h"

#include "app/gui/worker_core.h"
#include "core/util/runtime.h"

#include <QMetaObject>
#include <QPointer>

namespace moewb::gui {

void registerMetaTypes()
{
    qRegisterMetaType<RunSettings>();
    qRegisterMetaType<EvalSettings>();
    qRegisterMetaType<ModelSummary>();
    qRegisterMetaType<LayerRow>();
    qRegisterMetaType<AllocationInfo>();
    qRegisterMetaType<GenerationPoint>();
    qRegisterMetaType<BlockRow>();
    qRegisterMetaType<SessionSnapshot>();
    qRegisterMetaType<SimilarityChartData>();
    qRegisterMetaType<RecoverSettings>();
    qRegisterMetaType<LossPoint>();
}

Worker::Worker(QObject* parent)
    : QObject(parent)
{
    registerMetaTypes();
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("moewb-worker"));
    m_core = new WorkerCore(this);
    m_core->moveToThread(m_thread);
    m_thread->start();
}

Worker::~Worker()
{
    m_cancelBelow = m_next + 1;
    m_core->resumeSemaphore().release(1000);
    // The session (its HDF5 file) closes on the thread that used it, after any job still running.
    WorkerCore* core = m_core;
    QMetaObject::invokeMethod(
        core, [core] { delete core; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

int Worker::submit(const QString& title, bool cancelsRunning, std::function<void(WorkerCore&, int)> body)
{
    const int job = ++m_next;
    if (cancelsRunning) {
        m_cancelBelow = job;
        m_core->resumeSemaphore().release(); // a job paused for a test stops at once
    }
    m_current = job;
    ++m_pending;
    Q_EMIT jobStarted(job, title);
    WorkerCore* core = m_core;
    QMetaObject::invokeMethod(
        core, [core, job, body = std::move(body)] { core->run(job, body); }, Qt::QueuedConnection);
    return job;
}

void Worker::post(int job, Delivery delivery, std::function<void(Worker&)> emitter)
{
    QPointer<Worker> self(this);
    QMetaObject::invokeMethod(
        this,
        [self, job, delivery, emitter = std::move(emitter)] {
            if (!self)
                return;
            const bool current = job == self->m_current;
            if (delivery == Delivery::Always || (delivery == Delivery::Current && current)
                || (current && !self->cancelled(job)))
                emitter(*self);
        },
        Qt::QueuedConnection);
}

int Worker::openModel(const QString& directory)
{
    return submit(
        tr("Open model"), true, [directory](WorkerCore& c, int job) { c.openModel(job, directory); });
}

int Worker::openSession(const QString& file)
{
    return submit(tr("Open session"), true, [file](WorkerCore& c, int job) { c.openSession(job, file); });
}

int Worker::saveSession(const QString& file)
{
    return submit(tr("Save session"), false, [file](WorkerCore& c, int job) { c.saveSession(job, file); });
}

int Worker::analyze(const RunSettings& settings)
{
    return submit(tr("Analyze importance"), true,
        [settings](WorkerCore& c, int job) { c.runPipeline(job, settings, false); });
}

int Worker::search(const RunSettings& settings)
{
    // The search needs pruning counts: the analysis stage reuses the session's when they match.
    RunSettings s = settings;
    s.recompute = false;
    return submit(tr("Search"), true, [s](WorkerCore& c, int job) { c.runPipeline(job, s, true); });
}

int Worker::runAll(const RunSettings& settings)
{
    return submit(
        tr("Run all"), true, [settings](WorkerCore& c, int job) { c.runPipeline(job, settings, true); });
}

int Worker::decompose(const RunSettings& settings)
{
    return submit(tr("Decompose"), true, [settings](WorkerCore& c, int job) { c.decompose(job, settings); });
}

int Worker::evaluate(const EvalSettings& settings)
{
    return submit(
        tr("Apply & evaluate"), true, [settings](WorkerCore& c, int job) { c.evaluate(job, settings); });
}

int Worker::runMethod(const RunSettings& settings)
{
    return submit(tr("Run method"), true, [settings](WorkerCore& c, int job) { c.runMethod(job, settings); });
}

int Worker::recover(const RecoverSettings& settings)
{
    return submit(tr("Recover"), true, [settings](WorkerCore& c, int job) { c.recover(job, settings); });
}

int Worker::setThreads(int threads)
{
    return submit(tr("Set threads"), false, [threads](WorkerCore&, int) { moewb::initRuntime(threads); });
}

void Worker::cancel()
{
    m_cancelBelow = m_next + 1;
    m_core->resumeSemaphore().release();
}

void Worker::resumeFromPause()
{
    m_core->resumeSemaphore().release();
}

} // namespace moewb::gui
