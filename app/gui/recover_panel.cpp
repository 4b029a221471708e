#include "app/gui/recover_panel.h"

#include "app/gui/file_row.h"
#include "widgets/loss_curve.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace moewb::gui {

RecoverPanel::RecoverPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* row = new QHBoxLayout(this);
    auto* box = new QGroupBox(tr("LoRA recovery fine-tuning"), this);
    box->setMaximumWidth(380);
    auto* form = m_form = new QFormLayout(box);
    m_plan = new QComboBox(box);
    m_plan->setObjectName(QStringLiteral("plan"));
    form->addRow(tr("Plan:"), m_plan);
    const QString textFilter = tr("Text (*.txt *.jsonl);;All files (*)");
    const auto fileRow = [&](QLineEdit*& edit, const QString& placeholder, const QString& dialogTitle) {
        return fileChooserRow(box, edit, placeholder, dialogTitle, textFilter);
    };
    form->addRow(tr("Training text:"), fileRow(m_train, tr("demo calibration text"), tr("Training text")));
    m_train->setToolTip(tr("Plain text, JSONL with a \"text\" field, or JSONL instruction pairs ({\"prompt\", "
                           "\"response\"} or {\"instruction\", \"input\", \"output\"} a line: the loss is "
                           "taken on the responses), as moe-compress finetune --train"));
    form->addRow(tr("Held-out text:"), fileRow(m_heldOut, tr("demo evaluation text"), tr("Held-out text")));
    m_steps = new QSpinBox(box);
    m_steps->setObjectName(QStringLiteral("steps"));
    m_steps->setRange(1, 1000000);
    form->addRow(tr("Steps:"), m_steps);
    m_lr = new QDoubleSpinBox(box);
    m_lr->setObjectName(QStringLiteral("lr"));
    m_lr->setDecimals(6);
    m_lr->setRange(0.0, 1.0);
    m_lr->setSingleStep(1e-4);
    m_lr->setToolTip(tr("Peak learning rate (AdamW; linear warm-up, then linear decay)"));
    form->addRow(tr("Learning rate:"), m_lr);
    m_rank = new QSpinBox(box);
    m_rank->setObjectName(QStringLiteral("loraRank"));
    m_rank->setRange(1, 4096);
    form->addRow(tr("LoRA rank:"), m_rank);
    m_alpha = new QDoubleSpinBox(box);
    m_alpha->setObjectName(QStringLiteral("loraAlpha"));
    m_alpha->setRange(0.0, 4096.0);
    m_alpha->setToolTip(tr("Adapter scale alpha / rank"));
    form->addRow(tr("LoRA alpha:"), m_alpha);
    m_objective = new QComboBox(box);
    m_objective->setObjectName(QStringLiteral("objective"));
    m_objective->addItem(tr("Language modelling"), QStringLiteral("lm"));
    m_objective->addItem(tr("Distillation from the original"), QStringLiteral("distill"));
    m_objective->setToolTip(tr("Language modelling: next-token cross-entropy on the training text. "
                               "Distillation: the plan's model learns the original model's next-token "
                               "distributions (KL divergence); it recovers more, and keeps a second copy "
                               "of the model in memory"));
    form->addRow(tr("Objective:"), m_objective);
    m_temperature = new QDoubleSpinBox(box);
    m_temperature->setObjectName(QStringLiteral("temperature"));
    m_temperature->setDecimals(2);
    m_temperature->setRange(0.0, 100.0);
    m_temperature->setSingleStep(0.5);
    m_temperature->setToolTip(tr("Distillation temperature T: both distributions are softened by T "
                                 "and the KL is scaled by T\u00b2"));
    form->addRow(tr("Temperature:"), m_temperature);
    m_distillWeight = new QDoubleSpinBox(box);
    m_distillWeight->setObjectName(QStringLiteral("distillWeight"));
    m_distillWeight->setDecimals(2);
    m_distillWeight->setRange(0.0, 1.0);
    m_distillWeight->setSingleStep(0.1);
    m_distillWeight->setToolTip(tr("Distillation weight A: the loss is A \u00b7 T\u00b2 KL + (1 \u2212 A) "
                                   "\u00b7 cross-entropy (1: pure distillation)"));
    form->addRow(tr("Distillation weight:"), m_distillWeight);
    addAdvancedRows(box, form);
    m_problem = new QLabel(box);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
    form->addRow(m_problem);
    m_start = new QPushButton(tr("Recover"), box);
    m_start->setToolTip(tr("Fine-tune LoRA adapters on the plan's model; the result is the plan '<plan>-lora'"));
    form->addRow(QString(), m_start);
    auto* note = new QLabel(tr("Adapters on attention, experts and shared experts; the adapters of the best "
                               "held-out evaluation are kept (lowest perplexity, or for distillation the "
                               "lowest distillation loss). Cancel with Esc."),
        box);
    note->setWordWrap(true);
    form->addRow(note);
    row->addWidget(box);
    m_curve = new widgets::LossCurve(this);
    row->addWidget(m_curve, 1);

    connect(m_start, &QPushButton::clicked, this, [this] {
        if (!problem().isEmpty())
            return;
        saveSettings(settings());
        Q_EMIT recoverRequested(settings());
    });
    for (auto* spinBox : findChildren<QSpinBox*>())
        connect(spinBox, &QSpinBox::valueChanged, this, &RecoverPanel::refresh);
    for (auto* spinBox : findChildren<QDoubleSpinBox*>())
        connect(spinBox, &QDoubleSpinBox::valueChanged, this, &RecoverPanel::refresh);
    connect(m_plan, &QComboBox::currentIndexChanged, this, &RecoverPanel::refresh);
    connect(m_objective, &QComboBox::currentIndexChanged, this, &RecoverPanel::refresh);
    setSettings(loadSettings());
}

// The fields of `moe-compress finetune`'s --batch, --seq-len, --eval-every, --eval-blocks, --warmup and
// --patience, with its ranges; hidden until the Advanced button is pressed.
void RecoverPanel::addAdvancedRows(QWidget* box, QFormLayout* form)
{
    m_advanced = new QToolButton(box);
    m_advanced->setObjectName(QStringLiteral("advanced"));
    m_advanced->setText(tr("Advanced"));
    m_advanced->setCheckable(true);
    m_advanced->setAutoRaise(true);
    m_advanced->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advanced->setToolTip(tr("Batch, sequence length, held-out evaluation, warm-up and early stopping"));
    form->addRow(m_advanced);
    const auto spin = [&](QSpinBox*& field, const char* name, const QString& label, int min, int max,
                          const QString& tip) {
        field = new QSpinBox(box);
        field->setObjectName(QLatin1String(name));
        field->setRange(min, max);
        field->setToolTip(tip);
        form->addRow(label, field);
    };
    spin(m_batch, "batchSize", tr("Batch:"), 1, 4096,
        tr("Sequences per training step (--batch): more gives a smoother loss and takes longer"));
    m_batch->setSuffix(tr(" sequences"));
    spin(m_seqLen, "sequenceLength", tr("Sequence length:"), 2, 65536,
        tr("Tokens per training sequence and per held-out window (--seq-len); at most the model's "
           "context length minus 1. Instruction pairs are cut to it"));
    m_seqLen->setSuffix(tr(" tokens"));
    spin(m_evalEvery, "evalEvery", tr("Evaluate every:"), 1, 1000000,
        tr("Steps between held-out evaluations (--eval-every); the last step is always evaluated, and "
           "before training at step 0"));
    m_evalEvery->setSuffix(tr(" steps"));
    spin(m_evalBlocks, "evalBlocks", tr("Held-out windows:"), 1, 100000,
        tr("Windows of the held-out text, one sequence long each, that every evaluation measures "
           "(--eval-blocks); fewer when the text is shorter"));
    spin(m_warmup, "warmupSteps", tr("Warm-up:"), -1, 1000000,
        tr("Steps of linear learning-rate warm-up, then linear decay to 0 at the last step (--warmup). "
           "Auto: a tenth of the steps, at most 10"));
    m_warmup->setSpecialValueText(tr("Auto"));
    m_warmup->setSuffix(tr(" steps"));
    spin(m_patience, "patience", tr("Patience:"), 0, 1000,
        tr("Held-out evaluations without a new best before training stops early (--patience); the best "
           "adapters are kept either way. Never: train all steps"));
    m_patience->setSpecialValueText(tr("Never stop early"));
    m_patience->setSuffix(tr(" evaluations"));
    connect(m_advanced, &QToolButton::toggled, this, &RecoverPanel::showAdvanced);
    showAdvanced(false);
}

void RecoverPanel::showAdvanced(bool shown)
{
    m_advanced->setChecked(shown);
    m_advanced->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
    for (QSpinBox* field : {m_batch, m_seqLen, m_evalEvery, m_evalBlocks, m_warmup, m_patience})
        m_form->setRowVisible(field, shown);
}

void RecoverPanel::setPlans(const QStringList& plans)
{
    const QString current = m_plan->currentText();
    m_plan->clear();
    m_plan->addItems(plans);
    selectPlan(current);
    refresh();
}

void RecoverPanel::selectPlan(const QString& plan)
{
    const int i = m_plan->findText(plan);
    if (i >= 0)
        m_plan->setCurrentIndex(i);
}

void RecoverPanel::setSettings(const RecoverSettings& s)
{
    m_hidden = s;
    selectPlan(s.plan);
    m_train->setText(s.trainPath);
    m_heldOut->setText(s.heldOutPath);
    m_steps->setValue(s.steps);
    m_lr->setValue(s.lr);
    m_rank->setValue(s.rank);
    m_alpha->setValue(s.alpha);
    m_objective->setCurrentIndex(std::max(0, m_objective->findData(s.objective)));
    m_temperature->setValue(s.temperature);
    m_distillWeight->setValue(s.distillWeight);
    m_batch->setValue(s.batchSize);
    m_seqLen->setValue(s.sequenceLength);
    m_evalEvery->setValue(s.evalEvery);
    m_evalBlocks->setValue(s.evalBlocks);
    m_warmup->setValue(s.warmupSteps);
    m_patience->setValue(s.patience);
    const RecoverSettings d;
    if (s.batchSize != d.batchSize || s.sequenceLength != d.sequenceLength || s.evalEvery != d.evalEvery
        || s.evalBlocks != d.evalBlocks || s.warmupSteps != d.warmupSteps || s.patience != d.patience)
        showAdvanced(true); // not the defaults: show what the run will use
    refresh();
}

RecoverSettings RecoverPanel::settings() const
{
    RecoverSettings s = m_hidden;
    s.plan = m_plan->currentText();
    s.trainPath = m_train->text().trimmed();
    s.heldOutPath = m_heldOut->text().trimmed();
    s.steps = m_steps->value();
    s.lr = m_lr->value();
    s.rank = m_rank->value();
    s.alpha = m_alpha->value();
    s.objective = m_objective->currentData().toString();
    s.temperature = m_temperature->value();
    s.distillWeight = m_distillWeight->value();
    s.batchSize = m_batch->value();
    s.sequenceLength = m_seqLen->value();
    s.evalEvery = m_evalEvery->value();
    s.evalBlocks = m_evalBlocks->value();
    s.warmupSteps = m_warmup->value();
    s.patience = m_patience->value();
    return s;
}

QString RecoverPanel::problemOf(const RecoverSettings& s)
{
    if (s.plan.isEmpty())
        return tr("The session has no plan yet: run a method first.");
    if (s.lr <= 0.0)
        return tr("The learning rate must be above 0.");
    if (s.alpha <= 0.0)
        return tr("LoRA alpha must be above 0.");
    if (s.batchSize < 1 || s.sequenceLength < 2 || s.evalEvery < 1 || s.evalBlocks < 1 || s.warmupSteps < -1
        || s.patience < 0)
        return tr("Advanced: batch, evaluation interval and held-out windows must be at least 1, sequence "
                  "length at least 2, warm-up (unless Auto) and patience 0 or more.");
    if (s.objective != QLatin1String("lm") && s.objective != QLatin1String("distill"))
        return tr("Unknown objective '%1' (lm or distill).").arg(s.objective);
    if (s.objective == QLatin1String("distill")) {
        if (s.temperature <= 0.0)
            return tr("The distillation temperature must be above 0.");
        if (s.distillWeight < 0.0 || s.distillWeight > 1.0)
            return tr("The distillation weight must be between 0 and 1.");
    }
    return {};
}

void RecoverPanel::setRunning(bool running)
{
    m_running = running;
    refresh();
}

void RecoverPanel::refresh()
{
    const QString p = problem();
    m_problem->setText(p);
    m_problem->setVisible(!p.isEmpty());
    const QString red = QStringLiteral("QAbstractSpinBox { border: 2px solid #b00020; }");
    m_lr->setStyleSheet(m_lr->value() <= 0.0 ? red : QString());
    m_alpha->setStyleSheet(m_alpha->value() <= 0.0 ? red : QString());
    const bool distill = m_objective->currentData().toString() == QLatin1String("distill");
    m_temperature->setEnabled(distill);
    m_distillWeight->setEnabled(distill);
    m_temperature->setStyleSheet(distill && m_temperature->value() <= 0.0 ? red : QString());
    m_start->setEnabled(p.isEmpty() && !m_running);
}

RecoverSettings RecoverPanel::loadSettings()
{
    RecoverSettings r;
    QSettings s;
    s.beginGroup(QStringLiteral("recover"));
    r.trainPath = s.value(QStringLiteral("trainPath"), r.trainPath).toString();
    r.heldOutPath = s.value(QStringLiteral("heldOutPath"), r.heldOutPath).toString();
    r.steps = s.value(QStringLiteral("steps"), r.steps).toInt();
    r.lr = s.value(QStringLiteral("lr"), r.lr).toDouble();
    r.rank = s.value(QStringLiteral("rank"), r.rank).toInt();
    r.alpha = s.value(QStringLiteral("alpha"), r.alpha).toDouble();
    r.objective = s.value(QStringLiteral("objective"), r.objective).toString();
    r.temperature = s.value(QStringLiteral("temperature"), r.temperature).toDouble();
    r.distillWeight = s.value(QStringLiteral("distillWeight"), r.distillWeight).toDouble();
    r.batchSize = s.value(QStringLiteral("batchSize"), r.batchSize).toInt();
    r.sequenceLength = s.value(QStringLiteral("sequenceLength"), r.sequenceLength).toInt();
    r.evalEvery = s.value(QStringLiteral("evalEvery"), r.evalEvery).toInt();
    r.evalBlocks = s.value(QStringLiteral("evalBlocks"), r.evalBlocks).toInt();
    r.warmupSteps = s.value(QStringLiteral("warmupSteps"), r.warmupSteps).toInt();
    r.patience = s.value(QStringLiteral("patience"), r.patience).toInt();
    return r;
}

void RecoverPanel::saveSettings(const RecoverSettings& r)
{
    QSettings s;
    s.beginGroup(QStringLiteral("recover"));
    s.setValue(QStringLiteral("trainPath"), r.trainPath);
    s.setValue(QStringLiteral("heldOutPath"), r.heldOutPath);
    s.setValue(QStringLiteral("steps"), r.steps);
    s.setValue(QStringLiteral("lr"), r.lr);
    s.setValue(QStringLiteral("rank"), r.rank);
    s.setValue(QStringLiteral("alpha"), r.alpha);
    s.setValue(QStringLiteral("objective"), r.objective);
    s.setValue(QStringLiteral("temperature"), r.temperature);
    s.setValue(QStringLiteral("distillWeight"), r.distillWeight);
    s.setValue(QStringLiteral("batchSize"), r.batchSize);
    s.setValue(QStringLiteral("sequenceLength"), r.sequenceLength);
    s.setValue(QStringLiteral("evalEvery"), r.evalEvery);
    s.setValue(QStringLiteral("evalBlocks"), r.evalBlocks);
    s.setValue(QStringLiteral("warmupSteps"), r.warmupSteps);
    s.setValue(QStringLiteral("patience"), r.patience);
}

} // namespace moewb::gui
