// The Recover tab (Run ▸ Recover, issue #18): LoRA recovery fine-tuning of a session plan, with the
// plan, training text, held-out text, steps, learning rate, LoRA rank and alpha, the objective
// (language modelling, or distillation from the original model with its temperature and weight) on
// the left (checked as typed, remembered in QSettings) and the live loss curve with held-out perplexity points
// (widgets/loss_curve.h) on the right. The window runs it on the worker (Worker::recover).
#pragma once
#include "app/gui/job_types.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

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

    QComboBox* m_plan = nullptr;
    QLineEdit *m_train = nullptr, *m_heldOut = nullptr;
    QSpinBox *m_steps = nullptr, *m_rank = nullptr;
    QDoubleSpinBox *m_lr = nullptr, *m_alpha = nullptr;
    QComboBox* m_objective = nullptr; // item data: "lm" | "distill"
    QDoubleSpinBox *m_temperature = nullptr, *m_distillWeight = nullptr; // enabled for "distill"
    QLabel* m_problem = nullptr;
    QPushButton* m_start = nullptr;
    widgets::LossCurve* m_curve = nullptr;
    RecoverSettings m_hidden; // batch, sequence length, evaluation interval, seed
    bool m_running = false;
};

} // namespace moewb::gui
