#include "app/gui/recover_advanced.h"

#include "core/train/lora_run.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QWidget>

#include <algorithm>
#include <climits>

namespace moewb::gui {

RecoverAdvanced::RecoverAdvanced(QWidget* box, QFormLayout* form)
    : QObject(box)
    , m_box(box)
    , m_form(form)
{
    m_batch = spin("batchSize", tr("Batch:"), 1, 4096,
        tr("Sequences per training step (--batch): more gives a smoother loss and takes longer"));
    m_batch->setSuffix(tr(" sequences"));
    m_seqLen = spin("sequenceLength", tr("Sequence length:"), 2, 65536,
        tr("Tokens per training sequence and per held-out window (--seq-len); at most the model's "
           "context length minus 1. Instruction pairs are cut to it"));
    m_seqLen->setSuffix(tr(" tokens"));
    m_accumulation = spin("accumulation", tr("Accumulation:"), 1, 4096,
        tr("Micro-batches of Batch sequences whose gradients add up to one step (--accumulation): a step "
           "sees Batch \u00d7 Accumulation sequences in the memory of one batch"));
    m_accumulation->setSuffix(tr(" batches"));
    m_evalEvery = spin("evalEvery", tr("Evaluate every:"), 1, 1000000,
        tr("Steps between held-out evaluations (--eval-every); the last step is always evaluated, and "
           "before training at step 0"));
    m_evalEvery->setSuffix(tr(" steps"));
    m_evalBlocks = spin("evalBlocks", tr("Held-out windows:"), 1, 100000,
        tr("Windows of the held-out text, one sequence long each, that every evaluation measures "
           "(--eval-blocks); fewer when the text is shorter"));
    m_warmup = spin("warmupSteps", tr("Warm-up:"), -1, 1000000,
        tr("Steps of linear learning-rate warm-up, then linear decay to 0 at the last step (--warmup). "
           "Auto: a tenth of the steps, at most 10"));
    m_warmup->setSpecialValueText(tr("Auto"));
    m_warmup->setSuffix(tr(" steps"));
    m_patience = spin("patience", tr("Patience:"), 0, 1000,
        tr("Held-out evaluations without a new best before training stops early (--patience); the best "
           "adapters are kept either way. Never: train all steps"));
    m_patience->setSpecialValueText(tr("Never stop early"));
    m_patience->setSuffix(tr(" evaluations"));
    m_weightDecay = real("weightDecay", tr("Weight decay:"), 10.0, 4,
        tr("AdamW's decoupled weight decay on the adapters (--weight-decay); 0: none"));
    m_dropout = real("dropout", tr("LoRA dropout:"), 0.9, 3,
        tr("Dropout on the adapters' inputs while training (--dropout), 0 to 0.9"));

    auto* targets = new QWidget(m_box);
    auto* grid = new QGridLayout(targets);
    grid->setContentsMargins(0, 0, 0, 0);
    const auto check = [&](QCheckBox*& field, const char* name, const QString& text, int row, int column) {
        field = new QCheckBox(text, targets);
        field->setObjectName(QLatin1String(name));
        grid->addWidget(field, row, column);
        connect(field, &QCheckBox::toggled, this, &RecoverAdvanced::changed);
    };
    check(m_attention, "targetAttention", tr("Attention"), 0, 0);
    check(m_experts, "targetExperts", tr("Experts"), 0, 1);
    check(m_shared, "targetShared", tr("Shared"), 1, 0);
    check(m_dense, "targetDense", tr("Dense"), 1, 1);
    targets->setToolTip(tr("The modules that get adapters (--targets): attention projections, routed "
                           "experts (factored ones get one adapter per factor), shared experts, dense "
                           "MLPs; at least one"));
    m_form->addRow(tr("Adapters on:"), targets);
    m_rows << targets;
    m_seed = spin("seed", tr("Seed:"), 0, INT_MAX,
        tr("Seed of the adapters' initialisation, the training batches and dropout (--seed): the same "
           "seed and settings give the same run"));

    m_planName = new QLineEdit(m_box);
    m_planName->setObjectName(QStringLiteral("planName"));
    m_planName->setToolTip(tr("Name of the plan the adapters are stored as (--plan-name); empty: the "
                              "plan's name + \"-lora\". A plan that is not a LoRA recovery is never "
                              "overwritten"));
    m_form->addRow(tr("Result plan:"), m_planName);
    m_rows << m_planName;
    connect(m_planName, &QLineEdit::textChanged, this, &RecoverAdvanced::changed);
    // Checkpoint interval and Resume on one row, so the expanded form fits a 900-pixel-high screen.
    m_checkpointEvery = spin("checkpointEvery", QString(), 0, 1000000,
        tr("Steps between checkpoints of the run (--checkpoint-every) to the file beside the session "
           "that moe-compress finetune uses by default; with checkpoints on, a cancelled or finished run "
           "also writes one. Off: no checkpoint"));
    m_checkpointEvery->setSpecialValueText(tr("Off"));
    m_checkpointEvery->setSuffix(tr(" steps"));
    auto* checkpoints = new QWidget(m_box);
    auto* row = new QHBoxLayout(checkpoints);
    row->setContentsMargins(0, 0, 0, 0);
    m_checkpointEvery->setParent(checkpoints);
    row->addWidget(m_checkpointEvery, 1);
    m_resume = new QCheckBox(tr("Resume"), checkpoints);
    m_resume->setObjectName(QStringLiteral("resume"));
    row->addWidget(m_resume);
    m_form->addRow(tr("Checkpoint every:"), checkpoints);
    m_rows << checkpoints;
    connect(m_resume, &QCheckBox::toggled, this, &RecoverAdvanced::changed);
    refreshCheckpoint();
}

QSpinBox* RecoverAdvanced::spin(const char* name, const QString& label, int min, int max, const QString& tip)
{
    auto* field = new QSpinBox(m_box);
    field->setObjectName(QLatin1String(name));
    field->setRange(min, max);
    field->setToolTip(tip);
    if (!label.isEmpty()) { // else the caller places it
        m_form->addRow(label, field);
        m_rows << field;
    }
    connect(field, &QSpinBox::valueChanged, this, &RecoverAdvanced::changed);
    return field;
}

QDoubleSpinBox* RecoverAdvanced::real(const char* name, const QString& label, double max, int decimals,
    const QString& tip)
{
    auto* field = new QDoubleSpinBox(m_box);
    field->setObjectName(QLatin1String(name));
    field->setDecimals(decimals);
    field->setRange(0.0, max);
    field->setSingleStep(0.01);
    field->setToolTip(tip);
    m_form->addRow(label, field);
    m_rows << field;
    connect(field, &QDoubleSpinBox::valueChanged, this, &RecoverAdvanced::changed);
    return field;
}

void RecoverAdvanced::setShown(bool shown)
{
    for (QWidget* field : std::as_const(m_rows))
        m_form->setRowVisible(field, shown);
}

void RecoverAdvanced::setSettings(const RecoverSettings& s)
{
    m_batch->setValue(s.batchSize);
    m_seqLen->setValue(s.sequenceLength);
    m_accumulation->setValue(s.accumulation);
    m_evalEvery->setValue(s.evalEvery);
    m_evalBlocks->setValue(s.evalBlocks);
    m_warmup->setValue(s.warmupSteps);
    m_patience->setValue(s.patience);
    m_weightDecay->setValue(s.weightDecay);
    m_dropout->setValue(s.dropout);
    const QStringList targets = s.targets.split(QLatin1Char(','));
    m_attention->setChecked(targets.contains(QStringLiteral("attention")));
    m_experts->setChecked(targets.contains(QStringLiteral("experts")));
    m_shared->setChecked(targets.contains(QStringLiteral("shared")));
    m_dense->setChecked(targets.contains(QStringLiteral("dense")));
    m_seed->setValue(static_cast<int>(std::min<quint64>(s.seed, INT_MAX)));
    m_planName->setText(s.planName);
    m_checkpointEvery->setValue(s.checkpointEvery);
    m_resume->setChecked(s.resume && checkpointExists());
}

void RecoverAdvanced::apply(RecoverSettings& s) const
{
    s.batchSize = m_batch->value();
    s.sequenceLength = m_seqLen->value();
    s.accumulation = m_accumulation->value();
    s.evalEvery = m_evalEvery->value();
    s.evalBlocks = m_evalBlocks->value();
    s.warmupSteps = m_warmup->value();
    s.patience = m_patience->value();
    s.weightDecay = m_weightDecay->value();
    s.dropout = m_dropout->value();
    LoraOptions targets;
    targets.attention = m_attention->isChecked();
    targets.experts = m_experts->isChecked();
    targets.shared = m_shared->isChecked();
    targets.dense = m_dense->isChecked();
    s.targets = QString::fromStdString(loraTargetsText(targets));
    s.seed = static_cast<quint64>(m_seed->value());
    s.planName = m_planName->text();
    s.checkpointEvery = m_checkpointEvery->value();
    s.resume = m_resume->isEnabled() && m_resume->isChecked();
}

bool RecoverAdvanced::isDefault(const RecoverSettings& s)
{
    const RecoverSettings d;
    return s.batchSize == d.batchSize && s.sequenceLength == d.sequenceLength && s.evalEvery == d.evalEvery
        && s.evalBlocks == d.evalBlocks && s.warmupSteps == d.warmupSteps && s.patience == d.patience
        && s.accumulation == d.accumulation && s.weightDecay == d.weightDecay && s.dropout == d.dropout
        && s.targets == d.targets && s.seed == d.seed && s.planName == d.planName
        && s.checkpointEvery == d.checkpointEvery && s.resume == d.resume;
}

void RecoverAdvanced::setContext(const QString& plan, const QString& sessionPath)
{
    m_plan = plan;
    m_planName->setPlaceholderText(plan.isEmpty() ? QString() : plan + QStringLiteral("-lora"));
    m_checkpoint = plan.isEmpty() || sessionPath.isEmpty()
        ? QString()
        : QString::fromStdString(defaultLoraCheckpoint(sessionPath.toStdString(), plan.toStdString()).string());
    refreshCheckpoint();
}

bool RecoverAdvanced::checkpointExists() const
{
    return !m_checkpoint.isEmpty() && QFileInfo(m_checkpoint).isFile();
}

void RecoverAdvanced::refreshCheckpoint()
{
    const bool exists = checkpointExists();
    m_resume->setEnabled(exists);
    if (!exists)
        m_resume->setChecked(false);
    if (exists)
        m_resume->setToolTip(tr("Continue the run in %1 (written by Recover or moe-compress finetune with "
                                "checkpoints) instead of starting over (--resume). It continues only with "
                                "the settings it was written with; other settings are refused")
                                 .arg(m_checkpoint));
    else if (m_checkpoint.isEmpty())
        m_resume->setToolTip(tr("No checkpoint: choose a plan (the checkpoint sits beside the session file)"));
    else
        m_resume->setToolTip(tr("No checkpoint of plan %1 yet (%2): set Checkpoint every and Recover to "
                                "write one")
                                 .arg(m_plan, m_checkpoint));
}

void RecoverAdvanced::markInvalid(bool targets, bool planName)
{
    for (QCheckBox* box : {m_attention, m_experts, m_shared, m_dense})
        box->setStyleSheet(targets ? QStringLiteral("QCheckBox { color: #b00020; }") : QString());
    m_planName->setStyleSheet(planName ? QStringLiteral("QLineEdit { border: 2px solid #b00020; }") : QString());
}

} // namespace moewb::gui
