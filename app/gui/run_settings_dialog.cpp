#include "app/gui/run_settings_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace moewb::gui {

namespace {
QSpinBox* spin(QWidget* parent, int low, int high, int value)
{
    auto* box = new QSpinBox(parent);
    box->setRange(low, high);
    box->setValue(value);
    return box;
}
} // namespace

RunSettingsDialog::RunSettingsDialog(const RunSettings& s, QWidget* parent)
    : QDialog(parent)
    , m_settings(s)
{
    setWindowTitle(tr("Run settings"));
    auto* form = new QFormLayout(this);
    auto* fileRow = new QHBoxLayout;
    m_calibration = new QLineEdit(s.calibrationPath, this);
    m_calibration->setPlaceholderText(tr("demo calibration text"));
    auto* browse = new QPushButton(tr("Browse\u2026"), this);
    fileRow->addWidget(m_calibration, 1);
    fileRow->addWidget(browse);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Calibration text"), QString(), tr("Text (*.txt *.jsonl);;All files (*)"));
        if (!file.isEmpty())
            m_calibration->setText(file);
    });
    form->addRow(tr("Calibration text:"), fileRow);
    m_samples = spin(this, 1, 4096, s.samples);
    form->addRow(tr("Calibration blocks (n):"), m_samples);
    m_length = spin(this, 2, 1 << 16, s.sequenceLength);
    form->addRow(tr("Tokens per block (s):"), m_length);
    m_ratio = new QDoubleSpinBox(this);
    m_ratio->setRange(0.0, 0.95);
    m_ratio->setSingleStep(0.05);
    m_ratio->setValue(s.ratio);
    form->addRow(tr("Pruning ratio:"), m_ratio);
    m_population = spin(this, 2, 100000, s.population);
    form->addRow(tr("Population (N):"), m_population);
    m_generations = spin(this, 1, 100000, s.generations);
    form->addRow(tr("Generations (G):"), m_generations);
    m_candidates = spin(this, 1, 16, s.candidates);
    form->addRow(tr("Candidates per layer (K):"), m_candidates);
    m_blockSize = spin(this, 1, 8, s.blockSize);
    form->addRow(tr("Layers per block (T):"), m_blockSize);
    m_seed = spin(this, 0, 1 << 30, static_cast<int>(s.seed));
    form->addRow(tr("Search seed:"), m_seed);
    m_forceGenetic = new QCheckBox(tr("Search genetically even where every set can be enumerated"), this);
    m_forceGenetic->setChecked(s.forceGenetic);
    form->addRow(QString(), m_forceGenetic);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

RunSettings RunSettingsDialog::settings() const
{
    RunSettings s = m_settings;
    s.calibrationPath = m_calibration->text().trimmed();
    s.samples = m_samples->value();
    s.sequenceLength = m_length->value();
    s.ratio = m_ratio->value();
    s.population = m_population->value();
    s.generations = m_generations->value();
    s.candidates = m_candidates->value();
    s.blockSize = m_blockSize->value();
    s.seed = static_cast<quint64>(m_seed->value());
    s.forceGenetic = m_forceGenetic->isChecked();
    return s;
}

} // namespace moewb::gui
