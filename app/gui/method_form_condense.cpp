// MethodForm's CD-MoE group (method_form.h): a layer count or a parameter target, the kept experts,
// metric and candidate layers, and the fine-tuning of the condensed experts (steps, learning rate,
// batch, warm-up, weight decay, shared experts, training text), with the CLI's defaults
// (app/cli/run_condense.cpp). Also which fields apply and the plan name's placeholder.
#include "app/gui/method_form.h"
#include "app/gui/method_form_fields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>

namespace moewb::gui {

using form::real;
using form::spin;

void MethodForm::buildCondense(QFormLayout* condense)
{
    m_condenseBy = new QComboBox(this);
    m_condenseBy->setObjectName(QStringLiteral("condenseBy"));
    m_condenseBy->addItem(tr("Layer count"), QStringLiteral("layers"));
    m_condenseBy->addItem(tr("Parameter target"), QStringLiteral("target"));
    m_condenseBy->setToolTip(tr("Condense a fixed number of layers, or condense layers (in the greedy order) "
                                "until the model holds at most the target's parameters (--target-params)"));
    condense->addRow(tr("Condense:"), m_condenseBy);
    m_condenseLayers = spin(this, "condenseLayers", 1, 1024);
    m_condenseLayers->setToolTip(tr("MoE layers condensed (chosen greedily)"));
    condense->addRow(tr("Layers:"), m_condenseLayers);
    m_targetParams = real(this, "condenseTargetParams", 0.0, 1e15, 100000.0);
    m_targetParams->setDecimals(0);
    m_targetParams->setGroupSeparatorShown(true);
    m_targetParams->setSpecialValueText(tr("not set"));
    m_targetParams->setToolTip(tr("Parameters the condensed model may hold at most, counted as the plan's "
                                  "parameter accounting counts them; at least what condensing every "
                                  "candidate layer leaves"));
    condense->addRow(tr("Parameter target:"), m_targetParams);
    m_condenseExperts = spin(this, "condenseExperts", 0, 4096);
    m_condenseExperts->setToolTip(tr("Routed experts kept per condensed layer (k_c; 0: shared experts only)"));
    condense->addRow(tr("Experts kept:"), m_condenseExperts);
    m_metric = new QComboBox(this);
    m_metric->setObjectName(QStringLiteral("condenseMetric"));
    m_metric->addItem(tr("JS divergence of hidden states"), QStringLiteral("js"));
    m_metric->addItem(tr("KL of next-token distributions"), QStringLiteral("kl"));
    condense->addRow(tr("Metric:"), m_metric);
    m_candidates = new QLineEdit(this);
    m_candidates->setObjectName(QStringLiteral("condenseCandidates"));
    m_candidates->setPlaceholderText(tr("all MoE layers"));
    m_candidates->setToolTip(tr("MoE decoder layers that may be condensed, e.g. 3,4,5 or 3-5 (empty: all)"));
    condense->addRow(tr("Candidate layers:"), m_candidates);

    m_finetuneSteps = spin(this, "condenseFinetuneSteps", 0, 1000000);
    m_finetuneSteps->setSpecialValueText(tr("none"));
    m_finetuneSteps->setToolTip(tr("Fine-tuning steps of the condensed layers' kept and shared experts "
                                   "(0: none); the plan before it is kept as '<plan>-no-finetune'"));
    condense->addRow(tr("Fine-tuning steps:"), m_finetuneSteps);
    m_finetuneLr = real(this, "condenseFinetuneLr", 0.0, 1.0, 1e-4);
    m_finetuneLr->setDecimals(6);
    m_finetuneLr->setToolTip(tr("Peak learning rate (AdamW; linear warm-up, then linear decay)"));
    condense->addRow(tr("Learning rate:"), m_finetuneLr);
    m_finetuneBatch = spin(this, "condenseFinetuneBatch", 1, 4096);
    m_finetuneBatch->setToolTip(tr("Sequences of the calibration length a fine-tuning step trains on"));
    condense->addRow(tr("Batch:"), m_finetuneBatch);
    m_finetuneWarmup = spin(this, "condenseFinetuneWarmup", 0, 1000000);
    m_finetuneWarmup->setToolTip(tr("Steps of linear warm-up to the learning rate, then linear decay to 0"));
    condense->addRow(tr("Warm-up steps:"), m_finetuneWarmup);
    m_finetuneWeightDecay = real(this, "condenseFinetuneWeightDecay", 0.0, 10.0, 0.01);
    m_finetuneWeightDecay->setDecimals(4);
    m_finetuneWeightDecay->setToolTip(tr("AdamW weight decay of the trained experts (0: none)"));
    condense->addRow(tr("Weight decay:"), m_finetuneWeightDecay);
    m_finetuneShared = new QCheckBox(tr("Fine-tune the shared experts"), this);
    m_finetuneShared->setObjectName(QStringLiteral("condenseFinetuneShared"));
    m_finetuneShared->setToolTip(tr("Train the condensed layers' shared experts too; off: only the kept "
                                    "routed experts (--finetune-no-shared)"));
    condense->addRow(QString(), m_finetuneShared);
    m_trainRow = new QWidget(this);
    auto* trainRow = new QHBoxLayout(m_trainRow);
    trainRow->setContentsMargins(0, 0, 0, 0);
    m_trainPath = new QLineEdit(m_trainRow);
    m_trainPath->setObjectName(QStringLiteral("condenseTrainPath"));
    m_trainPath->setPlaceholderText(tr("the calibration text"));
    auto* browse = new QToolButton(m_trainRow);
    browse->setText(QStringLiteral("\u2026"));
    trainRow->addWidget(m_trainPath, 1);
    trainRow->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Training text"), QString(), tr("Text (*.txt *.jsonl);;All files (*)"));
        if (!file.isEmpty())
            m_trainPath->setText(file);
    });
    condense->addRow(tr("Training text:"), m_trainRow);
}

void MethodForm::updateFields()
{
    const MethodParameters p = parameters();
    m_condenseLayers->setEnabled(!p.condenseByTarget);
    m_targetParams->setEnabled(p.condenseByTarget);
    const bool finetune = p.condenseFinetuneSteps > 0;
    for (QWidget* field : std::initializer_list<QWidget*>{m_finetuneLr, m_finetuneBatch, m_finetuneWarmup,
             m_finetuneWeightDecay, m_finetuneShared, m_trainRow})
        field->setEnabled(finetune);
    QString name = defaultPlanName(m_method, p);
    if (!p.after.isEmpty() && m_method != QLatin1String("condense"))
        name = p.after + QStringLiteral(" + ") + name;
    m_planName->setPlaceholderText(name);
}

} // namespace moewb::gui
