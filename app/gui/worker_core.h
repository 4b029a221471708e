// The worker thread's side of the bridge (internal to app/gui): owns the model and the session and
// runs the job bodies. Only the worker thread touches it; results go back through Worker::post.
#pragma once
#include "app/gui/job_types.h"
#include "core/model/moe_model.h"
#include "core/session/session.h"

#include <QObject>
#include <QSemaphore>
#include <QTemporaryDir>
#include <chrono>
#include <memory>

namespace moewb {
struct TokenBlocks;
}

namespace moewb::gui {

class Worker;

class WorkerCore : public QObject {
    Q_OBJECT
public:
    explicit WorkerCore(Worker* facade);
    ~WorkerCore() override;

    // Job bodies, on the worker thread. They throw moewb::Error / moewb::Cancelled; run() maps
    // those to jobFailed / jobCancelled.
    void run(int job, const std::function<void(WorkerCore&, int)>& body);
    void openModel(int job, const QString& directory);
    void openSession(int job, const QString& file);
    void saveSession(int job, const QString& file);
    // The analysis stage (cached importance reused unless settings.recompute), then the search.
    void runPipeline(int job, const RunSettings& settings, bool withSearch);

    QSemaphore& resumeSemaphore() { return m_resume; }

private:
    void requireModel() const;
    TokenBlocks calibration(const RunSettings& settings) const;
    std::filesystem::path workingSessionPath() const;
    std::map<int, int> analysisStage(int job, const RunSettings& settings, const TokenBlocks& blocks);
    void searchStage(
        int job, const RunSettings& settings, const TokenBlocks& blocks, const std::map<int, int>& counts);
    // Progress callback for core: notes the thread, posts the fraction (rate-limited) and answers
    // whether the job may go on.
    bool progress(int job, double fraction);
    bool checkpoint(int job); // the same without a fraction
    void stage(int job, const QString& name);
    // Test hook: post pausedForTest and wait for the test to resume (or a cancel).
    void pauseForTest(int job, const QString& name);
    void publishSnapshot(int job);

    Worker* m_facade;
    std::unique_ptr<MoeModel> m_model;
    Session m_session;
    std::filesystem::path m_sessionPath; // the user's file; empty: a file in m_scratch
    QTemporaryDir m_scratch;
    QSemaphore m_resume;
    std::chrono::steady_clock::time_point m_lastProgress;
    bool m_pausedAnalysis = false, m_pausedSearch = false;
};

} // namespace moewb::gui
