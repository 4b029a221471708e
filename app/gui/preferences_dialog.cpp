#include "app/gui/preferences_dialog.h"

#include "app/gui/i18n.h"
#include "core/util/runtime.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace moewb::gui {

PreferencesDialog::PreferencesDialog(const Preferences& p, QWidget* parent)
    : QDialog(parent)
    , m_preferences(p)
{
    setWindowTitle(tr("Preferences"));
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
    auto* fileRow = new QHBoxLayout;
    m_calibration = new QLineEdit(p.calibrationPath, calibration);
    m_calibration->setPlaceholderText(tr("demo calibration text"));
    auto* browse = new QPushButton(tr("Browse\u2026"), calibration);
    fileRow->addWidget(m_calibration, 1);
    fileRow->addWidget(browse);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Calibration text"), QString(), tr("Text (*.txt *.jsonl);;All files (*)"));
        if (!file.isEmpty())
            m_calibration->setText(file);
    });
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
    return p;
}

} // namespace moewb::gui
