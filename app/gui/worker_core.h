// The worker thread's side of the bridge (internal to app/gui): owns the model and the session and
// runs the job bodies. Only the worker thread touches it; results go back through Worker::post.
#pragma once
#include "app/gui/export_types.h"
#include "app/gui/job_types.h"
#include "core/analysis/fast_loss.h"
#include "core/calib/dataset.h"
#include "core/model/moe_model.h"
#include "core/search/model_search.h"
#include "core/session/session.h"

#include <QObject>
#include <QSemaphore>
#include <QTemporaryDir>
#include <chrono>
#include <memory>
#include <optional>

namespace moewb::gui {

class Worker;

// Results of the last run's stages, each with the key of the parameters it was computed from
// (app/gui/parameter_checks.h); a run recomputes a stage only when its key changed. Cleared when a
// model or session is opened and by Analyze importance.
struct StageCache {
    struct CapturedLayer {
        LayerCalibration moe; // MoE input and router logits of the original model
        torch::Tensor blockInput; // [n, s, d]: where the KT block search starts
        std::vector<int> experts;
    };
    QString tokensKey; // calibration text, n, s, seed, device
    std::optional<TokenBlocks> tokens;
    QString allocationKey;
    std::map<int, int> counts; // P_l by decoder layer
    AllocationInfo allocation;
    QString captureKey; // the calibration the captures come from
    std::map<int, CapturedLayer> captured;
    std::map<int, std::pair<int, std::shared_ptr<FastLayerLoss>>> fastLoss; // layer -> (P, loss)
    QString geneticKey;
    std::vector<LayerSearch> layers;
    QString blockKey;
    BlockSearch blocks;
};

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
    // worker_lowrank.cpp: the low-rank stage on the search's plan, into the session's plan "moe-i2".
    void decompose(int job, const RunSettings& settings);
    // worker_evaluate.cpp: the original and every plan of the session, into its evaluations.
    void evaluate(int job, const EvalSettings& settings);
    // worker_export.cpp: the deployability report, or the export itself (errors come back in it).
    void exportModel(int job, const ExportSettings& settings, bool write);
    // worker_methods.cpp: one of the other methods into a session plan; worker_recover.cpp: LoRA.
    void runMethod(int job, const RunSettings& settings);
    void recover(int job, const RecoverSettings& settings);

    QSemaphore& resumeSemaphore() { return m_resume; }

private:
    void requireModel() const;
    static QString calibrationKeyOf(const RunSettings& settings);
    TokenBlocks calibration(const RunSettings& settings) const;
    const TokenBlocks& cachedCalibration(int job, const RunSettings& settings); // m_cache.tokens
    std::filesystem::path workingSessionPath() const;
    std::map<int, int> analysisStage(int job, const RunSettings& settings, const TokenBlocks& blocks);
    // worker_search.cpp: the search stages, each reused from m_cache when its parameters are unchanged.
    void searchStage(int job, const RunSettings& settings, const std::map<int, int>& counts);
    void captureStage(int job, int64_t batchTokens);
    std::vector<LayerProblem> fastLossStage(int job, const std::map<int, int>& counts);
    std::vector<LayerSearch> geneticStage(
        int job, const RunSettings& settings, const std::vector<LayerProblem>& problems);
    BlockSearch blockStage(int job, const RunSettings& settings, const std::vector<LayerSearch>& layers);
    // worker_methods.cpp: CD-MoE's fine-tuning of the condensed layers' experts, as `run --method
    // condense --finetune-steps` does it; appends the deltas to `plan`, stores "<plan>-no-finetune".
    void condenseFinetuneStage(
        int job, const RunSettings& settings, Plan& plan, const std::vector<int>& layers);
    // Progress callback for core: notes the thread, posts the fraction (rate-limited) and answers
    // whether the job may go on.
    bool progress(int job, double fraction);
    bool checkpoint(int job); // the same without a fraction
    void stage(int job, const QString& name);
    // Test hook: post pausedForTest and wait for the test to resume (or a cancel).
    void pauseForTest(int job, const QString& name);
    void publishSnapshot(int job);

    Worker* m_facade;
    StageCache m_cache;
    std::unique_ptr<MoeModel> m_model;
    Session m_session;
    std::filesystem::path m_sessionPath; // the user's file; empty: a file in m_scratch
    QString m_rankPlan; // the plan Run ▸ Decompose made last: the Ranks tab's first choice
    QTemporaryDir m_scratch;
    QSemaphore m_resume;
    std::chrono::steady_clock::time_point m_lastProgress;
    bool m_pausedAnalysis = false, m_pausedSearch = false;
    QString m_device = QStringLiteral("cpu"); // where the next model opens
    QString m_modelDevice = QStringLiteral("cpu"); // where the open model lives
};

} // namespace moewb::gui
