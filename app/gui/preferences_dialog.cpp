#include "app/gui/preferences_dialog.h"

#include "app/gui/file_row.h"
#include "app/gui/i18n.h"
#include "core/util/runtime.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace moewb::gui {

PreferencesDialog::PreferencesDialog(const Preferences& p, QWidget* parent)
    : QDialog(parent)
    , m_preferences(p)
{
    setWindowTitle(tr("Preferences"));
    setMinimumWidth(480); // the file fields show their placeholders ("demo evaluation text") whole
    auto* layout = new QVBoxLayout(this);

    auto* general = new QGroupBox(tr("General"), this);
    auto* form = new QFormLayout(general);
    m_language = new QComboBox(general);
    const QString system = resolveLanguage(QStringLiteral("system"));
    QString systemName;
    for (const auto& [code, name] : availableLanguages())
        if (code == system)
            systemName = name;
    m_language->addItem(tr("System language (%1)").arg(systemName), QStringLiteral("system"));
    for (const auto& [code, name] : availableLanguages())
        m_language->addItem(name, code);
    m_language->setCurrentIndex(std::max(0, m_language->findData(p.language)));
    form->addRow(tr("Language:"), m_language);
    m_restartNote = new QLabel(tr("The new language is used from the next start."), general);
    m_restartNote->setVisible(false);
    form->addRow(QString(), m_restartNote);
    connect(m_language, &QComboBox::currentIndexChanged, this, [this] {
        m_restartNote->setVisible(m_language->currentData().toString() != m_preferences.language);
    });

    m_threads = new QSpinBox(general);
    m_threads->setRange(0, 1024);
    m_threads->setSpecialValueText(tr("All cores (%1)").arg(QThread::idealThreadCount()));
    m_threads->setValue(p.threads);
    form->addRow(tr("Compute threads:"), m_threads);

    m_device = new QComboBox(general);
    for (const std::string& d : moewb::availableDevices()) {
        const QString code = QString::fromStdString(d);
        if (code == QLatin1String("cuda"))
            continue; // "cuda:N" names each device
        m_device->addItem(
            code == QLatin1String("cpu") ? tr("CPU") : tr("CUDA device %1").arg(code.mid(5)), code);
    }
    m_device->setCurrentIndex(std::max(0, m_device->findData(p.device)));
    form->addRow(tr("Compute device:"), m_device);
    layout->addWidget(general);

    auto* calibration = new QGroupBox(tr("Default calibration of new runs"), this);
    auto* cform = new QFormLayout(calibration);
    const QString textFilter = tr("Text (*.txt *.jsonl);;All files (*)");
    auto* fileRow = fileChooserRow(calibration, m_calibration, tr("demo calibration text"), tr("Calibration text"),
        textFilter);
    m_calibration->setText(p.calibrationPath);
    cform->addRow(tr("Calibration text:"), fileRow);
    m_samples = new QSpinBox(calibration);
    m_samples->setRange(1, 4096);
    m_samples->setValue(p.samples);
    cform->addRow(tr("Samples (n):"), m_samples);
    m_length = new QSpinBox(calibration);
    m_length->setRange(2, 1 << 16);
    m_length->setValue(p.sequenceLength);
    cform->addRow(tr("Sequence length (s):"), m_length);
    m_seed = new QSpinBox(calibration);
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(static_cast<int>(p.calibrationSeed));
    cform->addRow(tr("Sampling seed:"), m_seed);
    layout->addWidget(calibration);

    // Run ▸ Apply & evaluate: every model (the original and each plan) on the same windows and questions.
    const EvalSettings& e = p.evaluation;
    auto* evaluation = new QGroupBox(tr("Apply && evaluate"), this);
    auto* eform = new QFormLayout(evaluation);
    eform->addRow(tr("Held-out text:"), fileChooserRow(evaluation, m_evalText, tr("demo evaluation text"),
                                            tr("Held-out text"), textFilter));
    m_evalText->setObjectName(QStringLiteral("evalText"));
    m_evalText->setText(e.textPath);
    m_evalWindows = new QSpinBox(evaluation);
    m_evalWindows->setRange(1, 1 << 16);
    m_evalWindows->setObjectName(QStringLiteral("evalWindows"));
    m_evalWindows->setValue(e.windows);
    m_evalWindows->setToolTip(tr("Consecutive windows from the start of the text; perplexity and KL are "
                                 "averaged over them"));
    eform->addRow(tr("Windows:"), m_evalWindows);
    m_evalLength = new QSpinBox(evaluation);
    m_evalLength->setRange(2, 1 << 16);
    m_evalLength->setObjectName(QStringLiteral("evalWindowLength"));
    m_evalLength->setValue(e.windowLength);
    m_evalLength->setToolTip(tr("Tokens per window, at most the model's context length"));
    eform->addRow(tr("Window length (tokens):"), m_evalLength);
    eform->addRow(tr("Multiple-choice tasks:"),
        fileChooserRow(evaluation, m_evalTasks, tr("demo tasks"), tr("Multiple-choice tasks"),
            tr("JSON Lines (*.jsonl);;All files (*)")));
    m_evalTasks->setObjectName(QStringLiteral("evalTasks"));
    m_evalTasks->setText(e.tasksPath);
    m_evalQuestions = new QSpinBox(evaluation);
    m_evalQuestions->setRange(0, 1 << 20);
    m_evalQuestions->setSpecialValueText(tr("All"));
    m_evalQuestions->setObjectName(QStringLiteral("evalQuestions"));
    m_evalQuestions->setValue(e.maxQuestions);
    eform->addRow(tr("Questions (at most):"), m_evalQuestions);
    layout->addWidget(evaluation);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

Preferences PreferencesDialog::preferences() const
{
    Preferences p = m_preferences;
    p.language = m_language->currentData().toString();
    p.threads = m_threads->value();
    p.device = m_device->currentData().toString();
    p.calibrationPath = m_calibration->text().trimmed();
    p.samples = m_samples->value();
    p.sequenceLength = m_length->value();
    p.calibrationSeed = static_cast<quint64>(m_seed->value());
    p.evaluation.textPath = m_evalText->text().trimmed();
    p.evaluation.windows = m_evalWindows->value();
    p.evaluation.windowLength = m_evalLength->value();
    p.evaluation.tasksPath = m_evalTasks->text().trimmed();
    p.evaluation.maxQuestions = m_evalQuestions->value();
    return p;
}

} // namespace moewb::gui
