// The Recover tab (Run ▸ Recover, issue #18): LoRA recovery fine-tuning of a session plan. On the left
// the plan, training text (text or JSONL instruction pairs), held-out text, steps, learning rate, LoRA
// rank and alpha, the objective (language modelling, or distillation from the original model with its
// temperature and weight) and, under Advanced (collapsed unless a value differs from its default;
// recover_advanced.h), the rest of `moe-compress finetune`'s options: batch, sequence length,
// accumulation, evaluation, warm-up, patience, weight decay, dropout, adapter modules, seed, the result
// plan's name and checkpoints with resume; all checked as typed (recover_panel_checks.cpp, core's rules)
// and remembered in QSettings. On the right the live loss curve with held-out perplexity points
// (widgets/loss_curve.h). The window runs it on the worker (Worker::recover).
#pragma once
#include "app/gui/job_types.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace moewb::widgets {
class LossCurve;
}

namespace moewb::gui {

class RecoverAdvanced;

class RecoverPanel : public QWidget {
    Q_OBJECT
public:
    explicit RecoverPanel(QWidget* parent = nullptr);

    void setPlans(const QStringList& plans); // the session's; keeps the selection when it is still there
    // The session's recovered (LoRA) plans, which a result name may overwrite, and the file the worker
    // saves it to (Recover's checkpoints sit beside it: "<file>.<plan>-lora.ckpt").
    void setSessionContext(const QStringList& recovered, const QString& sessionPath);
    void selectPlan(const QString& plan);
    void setSettings(const RecoverSettings& settings);
    RecoverSettings settings() const;
    QString problem() const { return problemFor(settings()); } // empty when the settings can run
    // problemOf with the plans this panel was given (a result name may not overwrite another plan).
    QString problemFor(const RecoverSettings& s) const { return problemOf(s, m_plans, m_recovered); }
    static QString problemOf(
        const RecoverSettings& settings, const QStringList& plans = {}, const QStringList& recovered = {});
    void setRunning(bool running);
    QString checkpointPath() const; // the current plan's checkpoint file (empty: none can exist)
    bool checkpointExists() const;

    widgets::LossCurve* lossCurve() const { return m_curve; }
    QPushButton* startButton() const { return m_start; }

    static RecoverSettings loadSettings(); // QSettings "recover/..."
    static void saveSettings(const RecoverSettings& settings);

Q_SIGNALS:
    void recoverRequested(const moewb::gui::RecoverSettings& settings);

private:
    void refresh();
    void showAdvanced(bool shown);
    static QString planNameProblem(const RecoverSettings& s, const QStringList& plans, const QStringList& recovered);

    QComboBox* m_plan = nullptr;
    QLineEdit *m_train = nullptr, *m_heldOut = nullptr;
    QSpinBox *m_steps = nullptr, *m_rank = nullptr;
    QDoubleSpinBox *m_lr = nullptr, *m_alpha = nullptr;
    QComboBox* m_objective = nullptr; // item data: "lm" | "distill"
    QDoubleSpinBox *m_temperature = nullptr, *m_distillWeight = nullptr; // enabled for "distill"
    QToolButton* m_advanced = nullptr; // expands/collapses m_advancedFields
    RecoverAdvanced* m_advancedFields = nullptr;
    QStringList m_plans, m_recovered;
    QString m_sessionPath;
    QLabel *m_problem = nullptr, *m_note = nullptr;
    QPushButton* m_start = nullptr;
    widgets::LossCurve* m_curve = nullptr;
    RecoverSettings m_hidden; // what no field shows
    bool m_running = false;
};

} // namespace moewb::gui
