// The workbench's main window: menus, the importance heatmap in the centre, docks for the model tree,
// the layer-importance chart, the convergence curves and the KT block table, and the status bar.
// Views only react to the worker's queued signals (app/gui/worker.h); a selection (layer, expert)
// made in any of them is shown in all of them.
#pragma once
#include "app/gui/job_types.h"
#include "app/gui/preferences.h"

#include <QMainWindow>
#include <optional>

class QMenu;
class QAction;
class QTabWidget;

namespace moewb::widgets {
class ImportancePanel;
class LayerBarChart;
class ConvergencePlot;
class BlockTable;
class CompareView;
class RankEditor;
class SimilarityChart;
class LossCurve;
} // namespace moewb::widgets

namespace moewb::gui {

class ModelTree;
class ParametersDock;
class RecoverPanel;
class StatusPanel;
class Worker;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Programmatic counterparts of the menu actions (no dialogs); each returns the job id.
    int openModel(const QString& directory);
    int openSession(const QString& file);
    int saveSessionAs(const QString& file);
    int runAnalysis();
    int runSearch();
    int runAll();
    int decompose(); // low rank on the search's plan (plan "moe-i2"); the Ranks tab shows it
    int applyAndEvaluate(); // the original and the session's plans; the Compare view shows them
    // What Apply & evaluate measures on: Edit ▸ Preferences sets it (setPreferences); tests set it here.
    void setEvalSettings(const EvalSettings& settings) { m_evalSettings = settings; }
    const EvalSettings& evalSettings() const { return m_evalSettings; }
    void cancel();
    // main_window_methods.cpp: Run ▸ Run method (the Parameters dock's method other than MoE-I²) and
    // Run ▸ Recover (LoRA fine-tuning of a session plan); each returns the job id (0: refused).
    int runMethod();
    int recover(const RecoverSettings& settings);
    widgets::SimilarityChart* similarityChart() const { return m_similarity; }
    RecoverPanel* recoverPanel() const { return m_recover; }
    widgets::LossCurve* lossCurve() const;
    void showRecover(); // raises the Recover tab

    RunSettings runSettings() const { return m_settings; }
    void setRunSettings(const RunSettings& settings); // also into the Parameters dock
    Preferences preferences() const { return m_preferences; }
    void setPreferences(const Preferences& preferences); // saves them; threads apply at once
    void selectLayer(int layer, int expert = -1);
    int selectedLayer() const { return m_selectedLayer; }

    Worker* worker() const { return m_worker; }
    widgets::ImportancePanel* importance() const { return m_importance; }
    widgets::LayerBarChart* layerChart() const { return m_layerChart; }
    widgets::ConvergencePlot* convergence() const { return m_convergence; }
    widgets::BlockTable* blockTable() const { return m_blockTable; }
    widgets::CompareView* compareView() const { return m_compare; }
    widgets::RankEditor* rankEditor() const { return m_ranks; }
    QTabWidget* centralTabs() const { return m_tabs; }
    ModelTree* modelTree() const { return m_tree; }
    ParametersDock* parameters() const { return m_parameters; }
    StatusPanel* statusPanel() const { return m_status; }
    const ModelSummary& model() const { return m_model; }
    QString lastError() const { return m_lastError; }
    QString lastNotice() const { return m_lastNotice; } // the worker's last notice (status bar)

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    // main_window.cpp: views and the worker's signals
    void createViews();
    void connectWorker();
    void onModelOpened(const ModelSummary& model);
    void onAnalysisStarted(const QStringList& labels, int experts);
    void onLayerAnalyzed(const LayerRow& row);
    void onAllocation(const AllocationInfo& allocation);
    void onSearchStarted(const AllocationInfo& allocation);
    void onSessionChanged(const SessionSnapshot& snapshot);
    void onJobFailed(const QString& message);
    void onBusyChanged();
    int rowOfLayer(int layer) const;
    QStringList moeLabels() const; // "layer 3": heatmap rows
    QStringList moeNumbers() const; // "3": bar chart ticks under the axis title "MoE layer"
    // main_window_actions.cpp: menus, dialogs, recent files, help
    void createMenus();
    void chooseCheckpoint();
    void chooseSession();
    void saveSession();
    void saveSessionWithDialog();
    void showParameters();
    void editPreferences();
    bool refuseInvalidParameters(); // true (and a message) when the parameters have errors
    int trackRun(int job); // the Parameters dock's "next run" line compares with finished runs
    void rememberRecent(const QString& directory);
    void rebuildRecentMenu();
    void showAbout();
    void showMethodsGuide();
    void createMethodViews(); // main_window_methods.cpp: the Similarity and Recover tabs
    void onSimilarity(const SimilarityChartData& data);

    Worker* m_worker = nullptr;
    widgets::ImportancePanel* m_importance = nullptr;
    widgets::LayerBarChart* m_layerChart = nullptr;
    widgets::ConvergencePlot* m_convergence = nullptr;
    widgets::BlockTable* m_blockTable = nullptr;
    widgets::CompareView* m_compare = nullptr;
    widgets::RankEditor* m_ranks = nullptr;
    QTabWidget* m_tabs = nullptr;
    ModelTree* m_tree = nullptr;
    ParametersDock* m_parameters = nullptr;
    StatusPanel* m_status = nullptr;
    QMenu* m_viewMenu = nullptr;
    QMenu* m_recentMenu = nullptr;
    QList<QAction*> m_runActions; // disabled without a model
    QAction* m_cancelAction = nullptr;
    RunSettings m_settings;
    EvalSettings m_evalSettings;
    int m_evaluateJob = 0;
    int m_decomposeJob = 0;
    Preferences m_preferences;
    std::map<int, RunSettings> m_runs; // running search jobs -> their settings
    int m_sessionJob = 0; // the latest Open session job: its snapshot brings the session's overrides
    ModelSummary m_model;
    bool m_haveModel = false;
    int m_selectedLayer = -1;
    bool m_userSelected = false; // the user picked the layer (a run then leaves it alone)
    QString m_lastError, m_lastNotice;
    widgets::SimilarityChart* m_similarity = nullptr;
    RecoverPanel* m_recover = nullptr;
    int m_recoverJob = 0;
    bool m_recoverCheckpoints = false; // the recover job writes a checkpoint (said when it is cancelled)
};

} // namespace moewb::gui
