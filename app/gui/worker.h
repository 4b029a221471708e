// The worker bridge: every long operation (open a model, analysis, search, session files) runs as a
// job on one worker QThread; core's callbacks become queued signals of this object, which lives in the
// GUI thread. One job at a time: a new run cancels the stale one, and signals of a superseded or
// cancelled job are dropped here, so its results are never shown as current. Cancel is answered at
// core's next progress callback (milliseconds on the demo models). Errors from core arrive as
// jobFailed with core's message. This header has no LibTorch: widgets and tests include it.
#pragma once
#include "app/gui/export_types.h"
#include "app/gui/job_types.h"

#include <QObject>
#include <QThread>
#include <atomic>
#include <functional>

namespace moewb::gui {

class WorkerCore;

class Worker : public QObject {
    Q_OBJECT
public:
    explicit Worker(QObject* parent = nullptr);
    ~Worker() override;

    // Each returns the job id. Runs cancel whatever job is running or queued; session saves queue.
    int openModel(const QString& directory);
    int openSession(const QString& file);
    int saveSession(const QString& file);
    int analyze(const RunSettings& settings);
    int search(const RunSettings& settings);
    int runAll(const RunSettings& settings);
    int decompose(const RunSettings& settings); // low rank on the search's plan -> plan "moe-i2"
    int evaluate(const EvalSettings& settings); // Apply & evaluate: the original and the session's plans
    // worker_export.cpp: File ▸ Export compressed model… (the report writes nothing; queued, no cancel).
    int previewExport(const ExportSettings& settings); // -> exportPreviewed
    int exportModel(const ExportSettings& settings); // -> exportFinished (also with an error)
    // Run ▸ Run method: expert-drop, layer-drop, block-drop, wanda, sparsegpt or condense (worker_methods.cpp)
    int runMethod(const RunSettings& settings);
    int recover(const RecoverSettings& settings); // Run ▸ Recover: LoRA fine-tuning (worker_recover.cpp)
    int setThreads(int threads); // LibTorch threads of the worker thread's jobs (0: every core); queues
    void cancel();

    bool busy() const { return m_pending > 0; }
    int currentJob() const { return m_current; }
    QString sessionPath() const { return m_sessionPath; } // empty until saved or opened
    QThread* workerThread() const { return m_thread; }

    // Test hooks. With pauses on, a run stops after its first analysed layer and after its first
    // search generation, emits pausedForTest and waits for resumeFromPause() (or a cancel).
    void setPauseForTests(bool on) { m_pauseForTests = on; }
    void resumeFromPause();
    // The thread that ran the most recent core callback (to check they never run on the GUI thread).
    QThread* lastCallbackThread() const { return m_lastCallbackThread.load(); }

Q_SIGNALS:
    void jobStarted(int job, const QString& title);
    void stageChanged(const QString& stage);
    void progressChanged(double fraction); // of the current stage, at most ~20 times a second
    void modelOpened(const moewb::gui::ModelSummary& model);
    void analysisStarted(const QStringList& layerLabels, int experts);
    void layerAnalyzed(const moewb::gui::LayerRow& row);
    void allocationReady(const moewb::gui::AllocationInfo& allocation);
    void searchStarted(const moewb::gui::AllocationInfo& allocation);
    void generationReady(const moewb::gui::GenerationPoint& point);
    void blockReady(const moewb::gui::BlockRow& block);
    // The whole session as the views should show it: after opening one, after a run, and after a
    // cancelled or failed run (then it still holds the previous results).
    void sessionChanged(const moewb::gui::SessionSnapshot& snapshot);
    void sessionSaved(const QString& path);
    void notice(const QString& message); // something the user should act on; not an error
    void jobFinished(int job);
    void jobCancelled(int job);
    void jobFailed(int job, const QString& message);
    void pausedForTest(const QString& stage);
    void exportPreviewed(int job, const moewb::gui::ExportSummary& summary);
    void exportFinished(int job, const moewb::gui::ExportSummary& summary);
    void similarityReady(const moewb::gui::SimilarityChartData& data); // Layer / Block Drop scores
    void lossPointReady(const moewb::gui::LossPoint& point); // every Recover step
    void planStored(const QString& plan); // a method or Recover put this plan into the session

public:
    // Live: only while `job` is current and not cancelled (streamed results). Current: while it is
    // the latest job, cancelled or not (the snapshot restoring the views). Always: terminal events.
    enum class Delivery { Live, Current, Always };

private:
    friend class WorkerCore;
    int submit(const QString& title, bool cancelsRunning, std::function<void(WorkerCore&, int)> body);
    // Runs `emitter` in the GUI thread, subject to `delivery`.
    void post(int job, Delivery delivery, std::function<void(Worker&)> emitter);
    bool cancelled(int job) const { return job < m_cancelBelow.load(); }

    QThread* m_thread = nullptr;
    WorkerCore* m_core = nullptr;
    int m_next = 0;
    int m_current = 0;
    int m_pending = 0;
    QString m_sessionPath;
    std::atomic<int> m_cancelBelow{0}; // jobs with smaller ids stop at their next callback
    std::atomic<bool> m_pauseForTests{false};
    std::atomic<QThread*> m_lastCallbackThread{nullptr};
};

void registerMetaTypes();

} // namespace moewb::gui
