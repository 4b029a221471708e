// The Recover tab's Advanced section (recover_panel.h), a form of `moe-compress finetune`'s options
// with the CLI's ranges, each tooltip naming its option: batch, sequence length, gradient accumulation,
// evaluation interval and held-out windows, warm-up, patience, weight decay, LoRA dropout, the modules
// with adapters, seed, the result plan's name, and checkpointing (every N steps to the CLI's default
// file "<session>.<plan>-lora.ckpt", core/train/lora_run.h) with "Resume" beside it, enabled
// only while that file exists. Its rows go into the panel's form (one label column with the rows
// above) and are shown or hidden together.
#pragma once
#include "app/gui/method_types.h"

#include <QObject>
#include <QWidgetList>

class QCheckBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;
class QWidget;

namespace moewb::gui {

class RecoverAdvanced : public QObject {
    Q_OBJECT
public:
    // Adds the rows to `form`, the fields as children of `box` (the form's widget).
    RecoverAdvanced(QWidget* box, QFormLayout* form);

    void setShown(bool shown);

    void setSettings(const RecoverSettings& settings); // all but the resume choice, which is per run
    void apply(RecoverSettings& settings) const; // the fields into `settings`
    static bool isDefault(const RecoverSettings& settings); // every field as RecoverSettings{} has it

    // The plan being recovered (the result name's placeholder "<plan>-lora") and the session file the
    // worker saves (the checkpoint sits beside it); empty: no checkpoint can exist.
    void setContext(const QString& plan, const QString& sessionPath);
    QString checkpointPath() const { return m_checkpoint; }
    bool checkpointExists() const;
    void refreshCheckpoint(); // enables Resume when the file exists (after a run, a cancel)
    void markInvalid(bool targets, bool planName); // red marks on the fields RecoverPanel refuses

Q_SIGNALS:
    void changed();

private:
    QSpinBox* spin(const char* name, const QString& label, int min, int max, const QString& tip);
    QDoubleSpinBox* real(const char* name, const QString& label, double max, int decimals, const QString& tip);

    QWidget* m_box = nullptr;
    QFormLayout* m_form = nullptr;
    QWidgetList m_rows; // the field of each row
    QSpinBox *m_batch = nullptr, *m_seqLen = nullptr, *m_accumulation = nullptr, *m_evalEvery = nullptr;
    QSpinBox *m_evalBlocks = nullptr, *m_warmup = nullptr, *m_patience = nullptr, *m_seed = nullptr;
    QSpinBox* m_checkpointEvery = nullptr;
    QDoubleSpinBox *m_weightDecay = nullptr, *m_dropout = nullptr;
    QCheckBox *m_attention = nullptr, *m_experts = nullptr, *m_shared = nullptr, *m_dense = nullptr;
    QLineEdit* m_planName = nullptr;
    QCheckBox* m_resume = nullptr;
    QString m_checkpoint; // the file a run of the current plan writes and resumes
    QString m_plan;
};

} // namespace moewb::gui
