#include "app/gui/recover_panel.h"

#include "widgets/loss_curve.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
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

namespace moewb::gui {

RecoverPanel::RecoverPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* row = new QHBoxLayout(this);
    auto* box = new QGroupBox(tr("LoRA recovery fine-tuning"), this);
    box->setMaximumWidth(380);
    auto* form = new QFormLayout(box);
    m_plan = new QComboBox(box);
    m_plan->setObjectName(QStringLiteral("plan"));
    form->addRow(tr("Plan:"), m_plan);
    const auto fileRow = [&](QLineEdit*& edit, const QString& placeholder, const QString& dialogTitle) {
        auto* layout = new QHBoxLayout;
        edit = new QLineEdit(box);
        edit->setPlaceholderText(placeholder);
        auto* browse = new QToolButton(box);
        browse->setText(QStringLiteral("\u2026"));
        layout->addWidget(edit, 1);
        layout->addWidget(browse);
        QLineEdit* target = edit;
        connect(browse, &QToolButton::clicked, this, [this, target, dialogTitle] {
            const QString file = QFileDialog::getOpenFileName(
                this, dialogTitle, QString(), tr("Text (*.txt *.jsonl);;All files (*)"));
            if (!file.isEmpty())
                target->setText(file);
        });
        return layout;
    };
    form->addRow(tr("Training text:"), fileRow(m_train, tr("demo calibration text"), tr("Training text")));
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
    m_problem = new QLabel(box);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
    form->addRow(m_problem);
    m_start = new QPushButton(tr("Recover"), box);
    m_start->setToolTip(tr("Fine-tune LoRA adapters on the plan's model; the result is the plan '<plan>-lora'"));
    form->addRow(QString(), m_start);
    auto* note = new QLabel(tr("Adapters on attention, experts and shared experts; the best held-out "
                               "perplexity's adapters are kept. Cancel with Esc."),
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
    setSettings(loadSettings());
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
}

} // namespace moewb::gui
