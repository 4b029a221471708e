#include "app/gui/parameters_dock.h"

#include "app/gui/file_row.h"
#include "app/gui/method_form.h"

#include "core/util/runtime.h"
#include "widgets/pruning_count_table.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

namespace moewb::gui {

namespace {

QSpinBox* spin(QWidget* parent, const char* name, int low, int high)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    return box;
}

QDoubleSpinBox* real(QWidget* parent, const char* name, double low, double high, double step, int decimals)
{
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    return box;
}

} // namespace

ParametersDock::ParametersDock(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(buildForm());
    layout->addWidget(scroll, 1);
    m_problems = new QLabel(this);
    m_problems->setObjectName(QStringLiteral("problems"));
    m_problems->setWordWrap(true);
    m_problems->setTextFormat(Qt::RichText);
    layout->addWidget(m_problems);
    m_nextRun = new QLabel(this);
    m_nextRun->setObjectName(QStringLiteral("nextRun"));
    m_nextRun->setWordWrap(true);
    layout->addWidget(m_nextRun);
    auto* buttons = new QHBoxLayout;
    auto* reset = new QPushButton(tr("Reset to defaults"), this);
    reset->setToolTip(tr("The defaults of Preferences; count overrides are kept"));
    connect(reset, &QPushButton::clicked, this, &ParametersDock::resetRequested);
    m_run = new QPushButton(tr("Run"), this);
    m_run->setToolTip(tr("Run all, recomputing only the stages whose parameters changed"));
    m_run->setDefault(true);
    connect(m_run, &QPushButton::clicked, this, &ParametersDock::runRequested);
    buttons->addWidget(reset);
    buttons->addStretch(1);
    buttons->addWidget(m_run);
    layout->addLayout(buttons);
    setSettings(RunSettings{});
}

QWidget* ParametersDock::buildForm()
{
    auto* page = new QWidget;
    auto* column = new QVBoxLayout(page);
    const auto group = [&](const QString& title) {
        auto* box = new QGroupBox(title, page);
        column->addWidget(box);
        return new QFormLayout(box);
    };

    auto* method = group(tr("Method"));
    m_method = new QComboBox(page);
    m_method->addItem(tr("MoE-I\u00b2 (expert pruning, then low rank)"), QStringLiteral("moe-i2"));
    m_method->addItem(tr("Expert Drop (router mass)"), QStringLiteral("expert-drop"));
    m_method->addItem(tr("Layer Drop (MoE sublayers)"), QStringLiteral("layer-drop"));
    m_method->addItem(tr("Block Drop (decoder blocks)"), QStringLiteral("block-drop"));
    m_method->addItem(tr("Wanda (expert slimming)"), QStringLiteral("wanda"));
    m_method->addItem(tr("SparseGPT (expert slimming)"), QStringLiteral("sparsegpt"));
    m_method->addItem(tr("CD-MoE condensing"), QStringLiteral("condense"));
    m_method->setObjectName(QStringLiteral("method"));
    m_method->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_method->setMinimumContentsLength(14);
    m_method->setToolTip(m_method->currentText());
    method->addRow(tr("Method:"), m_method);
    m_device = new QComboBox(page);
    m_device->setObjectName(QStringLiteral("device"));
    for (const std::string& d : moewb::availableDevices()) {
        const QString code = QString::fromStdString(d);
        m_device->addItem(
            code == QLatin1String("cpu") ? tr("CPU") : tr("CUDA device %1").arg(code.mid(5)), code);
    }
    method->addRow(tr("Device:"), m_device);

    m_methodForm = new MethodForm(page); // the other methods' fields (app/gui/method_form.h)
    column->addWidget(m_methodForm);
    connect(m_methodForm, &MethodForm::changed, this, &ParametersDock::onChanged);

    auto* calib = group(tr("Calibration"));
    auto* fileRow = fileChooserRow(page, m_calibration, tr("demo calibration text"), tr("Calibration text"),
        tr("Text (*.txt *.jsonl);;All files (*)"), tr("Choose a calibration text (plain text or JSONL)"));
    calib->addRow(tr("Text:"), fileRow);
    m_samples = spin(page, "samples", 1, 4096);
    calib->addRow(tr("Samples (n):"), m_samples);
    m_length = spin(page, "sequenceLength", 2, 1 << 16);
    calib->addRow(tr("Sequence length (s):"), m_length);
    m_calibrationSeed = spin(page, "calibrationSeed", 0, 1 << 30);
    calib->addRow(tr("Sampling seed:"), m_calibrationSeed);

    auto* prune = group(tr("Expert pruning"));
    m_ratio = real(page, "ratio", 0.0, 0.95, 0.05, 3);
    m_ratio->setToolTip(tr("Fraction of all routed experts to remove; important layers lose fewer"));
    prune->addRow(tr("Pruning ratio:"), m_ratio);
    m_population = spin(page, "population", 2, 100000);
    prune->addRow(tr("Population (N):"), m_population);
    m_generations = spin(page, "generations", 1, 100000);
    prune->addRow(tr("Generations (G):"), m_generations);
    m_candidates = spin(page, "K", 1, 64);
    m_candidates->setToolTip(tr("Best sets per layer that the block search combines"));
    prune->addRow(tr("Candidates per layer (K):"), m_candidates);
    m_blockSize = spin(page, "T", 1, 64);
    m_blockSize->setToolTip(tr("Consecutive MoE layers searched together; K^T combinations per block"));
    prune->addRow(tr("Layers per block (T):"), m_blockSize);
    m_seed = spin(page, "seed", 0, 1 << 30);
    prune->addRow(tr("Search seed:"), m_seed);
    m_forceGenetic = new QCheckBox(tr("Always search genetically"), page);
    m_forceGenetic->setToolTip(tr("Search genetically even where enumerating every set is cheaper"));
    prune->addRow(QString(), m_forceGenetic);

    auto* lowRank = group(tr("Low rank (Run \u25B8 Decompose)"));
    m_decomposeFrom = new QComboBox(page);
    m_decomposeFrom->setObjectName(QStringLiteral("decomposeFrom"));
    m_decomposeFrom->setToolTip(tr("The plan whose surviving experts Decompose factors. The result is a new "
                                   "plan: moe-i2 from the MoE-I\u00B2 search, NAME-lowrank from plan NAME"));
    setDecomposablePlans({});
    lowRank->addRow(tr("Start from:"), m_decomposeFrom);
    m_rate = real(page, "decompositionRate", 0.0, 0.95, 0.05, 3);
    m_rate->setToolTip(tr("Fraction of the surviving experts' parameters removed by factorisation"));
    lowRank->addRow(tr("Decomposition rate:"), m_rate);
    m_alpha = real(page, "alpha", 0.0, 4.0, 0.05, 3);
    m_alpha->setToolTip(
        tr("How strongly expert importance shifts rank between a layer's experts (0: equal)"));
    lowRank->addRow(tr("Alpha:"), m_alpha);
    m_svdMode = new QComboBox(page);
    m_svdMode->setObjectName(QStringLiteral("svdMode"));
    m_svdMode->addItem(tr("Activation-aware (whitened)"), true);
    m_svdMode->addItem(tr("Plain SVD"), false);
    lowRank->addRow(tr("SVD mode:"), m_svdMode);

    auto* advanced = group(tr("Advanced"));
    m_batchTokens = spin(page, "batchTokens", 1, 1 << 24);
    m_batchTokens->setSingleStep(256);
    m_batchTokens->setToolTip(tr("Tokens through a layer at once in the calibration, scoring, method and "
                                 "evaluation passes (whole blocks, at least one; --batch-tokens): more is "
                                 "faster and takes more memory; the results agree up to rounding"));
    advanced->addRow(tr("Batch tokens:"), m_batchTokens);

    auto* countsBox = new QGroupBox(tr("Pruning counts per layer"), page);
    auto* countsLayout = new QVBoxLayout(countsBox);
    m_counts = new widgets::PruningCountTable(countsBox);
    m_counts->setMinimumHeight(160);
    countsLayout->addWidget(m_counts);
    m_resetCounts = new QPushButton(tr("Reset all overrides"), countsBox);
    countsLayout->addWidget(m_resetCounts, 0, Qt::AlignRight);
    column->addWidget(countsBox, 1);
    // With the counts hidden (other methods) the spare height goes here, not into the group boxes.
    column->addStretch(0);
    m_moeI2Only = {prune->parentWidget(), countsBox};
    connect(m_resetCounts, &QPushButton::clicked, m_counts, &widgets::PruningCountTable::resetAll);
    connect(m_counts, &widgets::PruningCountTable::overridesChanged, this, &ParametersDock::onChanged);

    for (auto* box : page->findChildren<QSpinBox*>())
        connect(box, &QSpinBox::valueChanged, this, &ParametersDock::onChanged);
    for (auto* box : page->findChildren<QDoubleSpinBox*>())
        connect(box, &QDoubleSpinBox::valueChanged, this, &ParametersDock::onChanged);
    for (auto* box : page->findChildren<QComboBox*>())
        connect(box, &QComboBox::currentIndexChanged, this, &ParametersDock::onChanged);
    connect(m_calibration, &QLineEdit::textChanged, this, &ParametersDock::onChanged);
    connect(m_forceGenetic, &QCheckBox::toggled, this, &ParametersDock::onChanged);
    return page;
}

void ParametersDock::setSessionPlans(const QStringList& plans)
{
    m_methodForm->setPlans(plans);
}

void ParametersDock::setSettings(const RunSettings& s)
{
    m_filling = true;
    m_hidden = s;
    m_method->setCurrentIndex(std::max(0, m_method->findData(s.method)));
    m_device->setCurrentIndex(std::max(0, m_device->findData(s.device)));
    m_calibration->setText(s.calibrationPath);
    m_samples->setValue(s.samples);
    m_length->setValue(s.sequenceLength);
    m_calibrationSeed->setValue(static_cast<int>(s.calibrationSeed));
    m_ratio->setValue(s.ratio);
    m_population->setValue(s.population);
    m_generations->setValue(s.generations);
    m_candidates->setValue(s.candidates);
    m_blockSize->setValue(s.blockSize);
    m_seed->setValue(static_cast<int>(s.seed));
    m_forceGenetic->setChecked(s.forceGenetic);
    m_rate->setValue(s.decompositionRate);
    m_alpha->setValue(s.alpha);
    m_svdMode->setCurrentIndex(s.activationAware ? 0 : 1);
    if (m_decomposeFrom->findData(s.decomposeFrom) < 0) // a plan the session has not shown yet
        m_decomposeFrom->addItem(s.decomposeFrom, s.decomposeFrom);
    m_decomposeFrom->setCurrentIndex(m_decomposeFrom->findData(s.decomposeFrom));
    m_counts->setOverrides(s.countOverrides);
    m_methodForm->setParameters(s.methodParameters);
    m_batchTokens->setValue(s.batchTokens);
    showMethod(s.method);
    m_filling = false;
    refreshChecks();
}

RunSettings ParametersDock::settings() const
{
    RunSettings s = m_hidden;
    s.method = m_method->currentData().toString();
    s.device = m_device->currentData().toString();
    s.calibrationPath = m_calibration->text().trimmed();
    s.samples = m_samples->value();
    s.sequenceLength = m_length->value();
    s.calibrationSeed = static_cast<quint64>(m_calibrationSeed->value());
    s.ratio = m_ratio->value();
    s.population = m_population->value();
    s.generations = m_generations->value();
    s.candidates = m_candidates->value();
    s.blockSize = m_blockSize->value();
    s.seed = static_cast<quint64>(m_seed->value());
    s.forceGenetic = m_forceGenetic->isChecked();
    s.decompositionRate = m_rate->value();
    s.alpha = m_alpha->value();
    s.activationAware = m_svdMode->currentData().toBool();
    s.decomposeFrom = m_decomposeFrom->currentData().toString();
    s.countOverrides = m_counts->overrides();
    s.methodParameters = m_methodForm->parameters();
    s.batchTokens = m_batchTokens->value();
    return s;
}

void ParametersDock::onChanged()
{
    if (m_filling)
        return;
    showMethod(m_method->currentData().toString());
    refreshChecks();
    Q_EMIT settingsChanged(settings());
}

} // namespace moewb::gui

namespace moewb::gui {

void ParametersDock::setDecomposablePlans(const QStringList& plans)
{
    const bool filling = m_filling;
    m_filling = true;
    const QString current = m_decomposeFrom->count() ? m_decomposeFrom->currentData().toString()
                                                      : QStringLiteral("moe-i2-search");
    m_decomposeFrom->clear();
    m_decomposeFrom->addItem(tr("MoE-I\u00B2 search (moe-i2-search)"), QStringLiteral("moe-i2-search"));
    m_decomposeFrom->addItem(tr("None: the unpruned model"), QString());
    for (const QString& plan : plans)
        if (plan != QLatin1String("moe-i2-search"))
            m_decomposeFrom->addItem(plan, plan);
    const int keep = m_decomposeFrom->findData(current);
    m_decomposeFrom->setCurrentIndex(keep >= 0 ? keep : 0);
    m_filling = filling;
}

void ParametersDock::showMethod(const QString& method)
{
    m_methodForm->setMethod(method);
    for (auto* box : m_moeI2Only)
        box->setVisible(!isExtraMethod(method));
    m_method->setToolTip(m_method->currentText());
}

} // namespace moewb::gui
