// The Parameters dock: method, device, calibration (text, n, s, seed), expert pruning (ratio, N, G,
// K, T, seed), low rank (the plan Run ▸ Decompose starts from, decomposition rate, alpha, SVD mode;
// shown for every method, since any method's plan can be decomposed), Advanced (batch tokens) and the
// per-layer pruning counts with overrides. Parameters are checked as they are typed (app/gui/parameter_checks.h); a run with
// errors is refused. A line under the form says which stages the next run recomputes, compared with
// the last finished run (the rest comes from the worker's cache).
#pragma once
#include "app/gui/job_types.h"
#include "app/gui/parameter_checks.h"

#include <QWidget>
#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace moewb::widgets {
class PruningCountTable;
}

namespace moewb::gui {

class MethodForm;

class ParametersDock : public QWidget {
    Q_OBJECT
public:
    explicit ParametersDock(QWidget* parent = nullptr);

    void setSettings(const RunSettings& settings); // emits nothing
    RunSettings settings() const;
    void setModel(const ModelSummary& model); // count table rows; clears overrides of other models
    // Allocated counts; with takeOverrides also the overrides the allocation records (an opened session).
    void setAllocation(const AllocationInfo& allocation, bool takeOverrides);
    void setLastRun(const std::optional<RunSettings>& settings); // for the "next run" line
    // The session plans Run ▸ Decompose may start from (SessionSnapshot::decomposable); keeps the choice
    // while it is still there, else goes back to the search's plan. Emits nothing.
    void setDecomposablePlans(const QStringList& plans);
    void setSessionPlans(const QStringList& plans); // the methods' "Run after plan" choices
    QList<ParameterIssue> issues() const { return m_issues; }
    QString nextRunText() const;

    widgets::PruningCountTable* countTable() const { return m_counts; }
    QPushButton* runButton() const { return m_run; }

Q_SIGNALS:
    void settingsChanged(const moewb::gui::RunSettings& settings);
    void runRequested();
    void resetRequested(); // "Reset to defaults": the window supplies the preferences' defaults

private:
    QWidget* buildForm();
    void onChanged();
    void refreshChecks();
    void showMethod(const QString& method); // that method's fields only

    ModelSummary m_model;
    std::optional<RunSettings> m_lastRun;
    QList<ParameterIssue> m_issues;
    bool m_filling = false;
    RunSettings m_hidden; // fields the dock does not show (recompute)
    QComboBox *m_method = nullptr, *m_device = nullptr, *m_svdMode = nullptr, *m_decomposeFrom = nullptr;
    QLineEdit* m_calibration = nullptr;
    QSpinBox *m_samples = nullptr, *m_length = nullptr, *m_calibrationSeed = nullptr;
    QDoubleSpinBox *m_ratio = nullptr, *m_rate = nullptr, *m_alpha = nullptr;
    QSpinBox *m_population = nullptr, *m_generations = nullptr, *m_candidates = nullptr;
    QSpinBox *m_blockSize = nullptr, *m_seed = nullptr, *m_batchTokens = nullptr;
    QCheckBox* m_forceGenetic = nullptr;
    widgets::PruningCountTable* m_counts = nullptr;
    QLabel *m_problems = nullptr, *m_nextRun = nullptr;
    QPushButton *m_run = nullptr, *m_resetCounts = nullptr;
    MethodForm* m_methodForm = nullptr;
    QList<QWidget*> m_moeI2Only; // expert pruning and counts: hidden for the other methods
};

} // namespace moewb::gui
