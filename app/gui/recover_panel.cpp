#include "app/gui/recover_panel.h"

#include "app/gui/file_row.h"
#include "app/gui/recover_advanced.h"
#include "widgets/loss_curve.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
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
    box->setMaximumWidth(400);
    auto* form = new QFormLayout(box);
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
    m_advanced = new QToolButton(box);
    m_advanced->setObjectName(QStringLiteral("advanced"));
    m_advanced->setText(tr("Advanced"));
    m_advanced->setCheckable(true);
    m_advanced->setAutoRaise(true);
    m_advanced->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advanced->setToolTip(tr("Batch, sequence length, accumulation, held-out evaluation, warm-up, early "
                              "stopping, weight decay, dropout, adapter modules, seed, result name and "
                              "checkpoints"));
    form->addRow(m_advanced);
    m_advancedFields = new RecoverAdvanced(box, form);
    connect(m_advanced, &QToolButton::toggled, this, &RecoverPanel::showAdvanced);
    connect(m_advancedFields, &RecoverAdvanced::changed, this, &RecoverPanel::refresh);
    showAdvanced(false);
    m_problem = new QLabel(box);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
    form->addRow(m_problem);
    m_start = new QPushButton(tr("Recover"), box);
    m_start->setToolTip(tr("Fine-tune LoRA adapters on the plan's model; the result is the plan '<plan>-lora'"));
    form->addRow(QString(), m_start);
    auto* note = m_note = new QLabel(tr("Adapters on the modules chosen under Advanced (attention, experts and shared "
                               "experts by default); the adapters of the best held-out evaluation are kept "
                               "(lowest perplexity, or for distillation the lowest distillation loss). Cancel "
                               "with Esc."),
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
    for (auto* spinBox : {m_steps, m_rank})
        connect(spinBox, &QSpinBox::valueChanged, this, &RecoverPanel::refresh);
    for (auto* spinBox : {m_lr, m_alpha, m_temperature, m_distillWeight})
        connect(spinBox, &QDoubleSpinBox::valueChanged, this, &RecoverPanel::refresh);
    connect(m_plan, &QComboBox::currentIndexChanged, this, [this] {
        m_advancedFields->setContext(m_plan->currentText(), m_sessionPath);
        refresh();
    });
    connect(m_objective, &QComboBox::currentIndexChanged, this, &RecoverPanel::refresh);
    setSettings(loadSettings());
}

void RecoverPanel::showAdvanced(bool shown)
{
    m_advanced->setChecked(shown);
    m_advanced->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
    m_advancedFields->setShown(shown);
    if (m_note) // hidden while Advanced is open, so the form fits a 900-pixel-high screen
        m_note->setVisible(!shown);
}

void RecoverPanel::setPlans(const QStringList& plans)
{
    m_plans = plans;
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
    m_advancedFields->setSettings(s);
    if (!RecoverAdvanced::isDefault(s))
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
    m_advancedFields->apply(s);
    return s;
}

void RecoverPanel::setSessionContext(const QStringList& recovered, const QString& sessionPath)
{
    m_recovered = recovered;
    m_sessionPath = sessionPath;
    m_advancedFields->setContext(m_plan->currentText(), sessionPath);
    refresh();
}

QString RecoverPanel::checkpointPath() const
{
    return m_advancedFields->checkpointPath();
}

bool RecoverPanel::checkpointExists() const
{
    return m_advancedFields->checkpointExists();
}

void RecoverPanel::setRunning(bool running)
{
    m_running = running;
    m_advancedFields->refreshCheckpoint(); // a run may have written one
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
    const RecoverSettings s = settings();
    m_advancedFields->markInvalid(s.targets.isEmpty(), !planNameProblem(s, m_plans, m_recovered).isEmpty());
    m_start->setEnabled(p.isEmpty() && !m_running);
}

} // namespace moewb::gui
