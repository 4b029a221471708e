// The Recover tab (Run ▸ Recover, issue #18): LoRA recovery fine-tuning of a session plan. On the left
// the plan, training text (text or JSONL instruction pairs), held-out text, steps, learning rate, LoRA
// rank and alpha, the objective (language modelling, or distillation from the original model with its
// temperature and weight) and, under Advanced (collapsed unless a value differs from its default), the
// batch, sequence length, evaluation interval, held-out windows, warm-up and patience of `moe-compress
// finetune`; all checked as typed and remembered in QSettings. On the right the live loss curve with
// held-out perplexity points (widgets/loss_curve.h). The window runs it on the worker (Worker::recover).
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

class RecoverPanel : public QWidget {
    Q_OBJECT
public:
    explicit RecoverPanel(QWidget* parent = nullptr);

    void setPlans(const QStringList& plans); // the session's; keeps the selection when it is still there
    void selectPlan(const QString& plan);
    void setSettings(const RecoverSettings& settings);
    RecoverSettings settings() const;
    QString problem() const { return problemOf(settings()); } // empty when the settings can run
    static QString problemOf(const RecoverSettings& settings);
    void setRunning(bool running);

    widgets::LossCurve* lossCurve() const { return m_curve; }
    QPushButton* startButton() const { return m_start; }

    static RecoverSettings loadSettings(); // QSettings "recover/..."
    static void saveSettings(const RecoverSettings& settings);

Q_SIGNALS:
    void recoverRequested(const moewb::gui::RecoverSettings& settings);

private:
    void refresh();
    void addAdvancedRows(QWidget* box, QFormLayout* form);
    void showAdvanced(bool shown);

    QComboBox* m_plan = nullptr;
    QLineEdit *m_train = nullptr, *m_heldOut = nullptr;
    QSpinBox *m_steps = nullptr, *m_rank = nullptr;
    QDoubleSpinBox *m_lr = nullptr, *m_alpha = nullptr;
    QComboBox* m_objective = nullptr; // item data: "lm" | "distill"
    QDoubleSpinBox *m_temperature = nullptr, *m_distillWeight = nullptr; // enabled for "distill"
    QToolButton* m_advanced = nullptr; // expands/collapses the rows below
    QSpinBox *m_batch = nullptr, *m_seqLen = nullptr, *m_evalEvery = nullptr, *m_evalBlocks = nullptr;
    QSpinBox *m_warmup = nullptr, *m_patience = nullptr; // warm-up -1: auto; patience 0: never stop early
    QFormLayout* m_form = nullptr;
    QLabel* m_problem = nullptr;
    QPushButton* m_start = nullptr;
    widgets::LossCurve* m_curve = nullptr;
    RecoverSettings m_hidden; // the seed
    bool m_running = false;
};

} // namespace moewb::gui
