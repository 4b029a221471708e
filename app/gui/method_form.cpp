#include "app/gui/method_form.h"

#include <QCoreApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace moewb::gui {

namespace {

// Translation context of the checks (free functions).
class MethodChecks {
    Q_DECLARE_TR_FUNCTIONS(MethodChecks)
};

QSpinBox* spin(QWidget* parent, const char* name, int low, int high)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    return box;
}

QDoubleSpinBox* real(QWidget* parent, const char* name, double low, double high, double step)
{
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    box->setSingleStep(step);
    box->setDecimals(3);
    return box;
}

void select(QComboBox* box, const QString& value)
{
    const int i = box->findData(value);
    if (i >= 0)
        box->setCurrentIndex(i);
    else if (box->isEditable())
        box->setEditText(value);
}

QString value(const QComboBox* box)
{
    if (box->isEditable()) {
        const int i = box->findText(box->currentText());
        return i >= 0 ? box->itemData(i).toString() : box->currentText().trimmed();
    }
    return box->currentData().toString();
}

// N:M as (n, m); (0, 0) when `pattern` is not of that form.
std::pair<int, int> nOfM(const QString& pattern)
{
    static const QRegularExpression re(QStringLiteral("^(\\d+):(\\d+)$"));
    const auto match = re.match(pattern);
    if (!match.hasMatch())
        return {0, 0};
    return {match.captured(1).toInt(), match.captured(2).toInt()};
}

} // namespace

bool isExtraMethod(const QString& method)
{
    return extraMethodNames().contains(method);
}

MethodForm::MethodForm(QWidget* parent)
    : QWidget(parent)
{
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    const auto group = [&](QGroupBox*& box, const QString& title) {
        box = new QGroupBox(title, this);
        column->addWidget(box);
        return new QFormLayout(box);
    };

    auto* drop = group(m_expertDrop, tr("Expert Drop"));
    m_dropMode = new QComboBox(this);
    m_dropMode->setObjectName(QStringLiteral("dropMode"));
    m_dropMode->addItem(tr("Layerwise (same count per layer)"), QStringLiteral("layerwise"));
    m_dropMode->addItem(tr("Global (lowest scores overall)"), QStringLiteral("global"));
    drop->addRow(tr("Mode:"), m_dropMode);
    m_dropRatio = real(this, "dropRatio", 0.0, 0.99, 0.05);
    m_dropRatio->setToolTip(tr("Fraction of routed experts dropped (used when Keep per layer is 0)"));
    drop->addRow(tr("Drop ratio:"), m_dropRatio);
    m_preserveN = spin(this, "preserveN", 0, 4096);
    m_preserveN->setSpecialValueText(tr("off (use the ratio)"));
    m_preserveN->setToolTip(tr("Experts kept per layer (global: on average) instead of the ratio"));
    drop->addRow(tr("Keep per layer:"), m_preserveN);

    auto* layers = group(m_layerDrop, tr("Layer / Block Drop"));
    m_dropN = spin(this, "dropN", 1, 4096);
    m_dropN->setToolTip(tr("MoE sublayers (Layer Drop) or decoder blocks (Block Drop) removed"));
    layers->addRow(tr("Drop N:"), m_dropN);
    m_blockMode = new QComboBox(this);
    m_blockMode->setObjectName(QStringLiteral("blockMode"));
    m_blockMode->addItem(tr("Discrete (the most similar blocks)"), QStringLiteral("discrete"));
    m_blockMode->addItem(tr("Consecutive (the most similar run)"), QStringLiteral("consecutive"));
    m_blockModeLabel = new QLabel(tr("Block mode:"), this);
    layers->addRow(m_blockModeLabel, m_blockMode);

    auto* slim = group(m_slimming, tr("Expert slimming"));
    m_sparsity = real(this, "sparsity", 0.0, 0.99, 0.05);
    m_sparsity->setToolTip(tr("Fraction of each expert matrix pruned (unstructured)"));
    slim->addRow(tr("Sparsity:"), m_sparsity);
    m_pattern = new QComboBox(this);
    m_pattern->setObjectName(QStringLiteral("pattern"));
    m_pattern->setEditable(true);
    m_pattern->addItem(tr("unstructured"), QStringLiteral("unstructured"));
    m_pattern->addItem(QStringLiteral("2:4"), QStringLiteral("2:4"));
    m_pattern->addItem(QStringLiteral("4:8"), QStringLiteral("4:8"));
    m_pattern->setToolTip(tr("Unstructured, or N:M (N weights pruned in every M input columns)"));
    slim->addRow(tr("Pattern:"), m_pattern);

    auto* condense = group(m_condense, tr("CD-MoE condensing"));
    m_condenseLayers = spin(this, "condenseLayers", 1, 1024);
    m_condenseLayers->setToolTip(tr("MoE layers condensed (chosen greedily)"));
    condense->addRow(tr("Layers:"), m_condenseLayers);
    m_condenseExperts = spin(this, "condenseExperts", 0, 4096);
    m_condenseExperts->setToolTip(tr("Routed experts kept per condensed layer (k_c; 0: shared experts only)"));
    condense->addRow(tr("Experts kept:"), m_condenseExperts);
    m_metric = new QComboBox(this);
    m_metric->setObjectName(QStringLiteral("condenseMetric"));
    m_metric->addItem(tr("JS divergence of hidden states"), QStringLiteral("js"));
    m_metric->addItem(tr("KL of next-token distributions"), QStringLiteral("kl"));
    condense->addRow(tr("Metric:"), m_metric);
    m_finetuneSteps = spin(this, "condenseFinetuneSteps", 0, 1000000);
    m_finetuneSteps->setSpecialValueText(tr("none"));
    m_finetuneSteps->setToolTip(tr("Fine-tuning steps of the condensed layers' kept and shared experts "
                                   "(0: none); the plan before it is kept as '<plan>-no-finetune'"));
    condense->addRow(tr("Fine-tuning steps:"), m_finetuneSteps);
    m_finetuneLr = real(this, "condenseFinetuneLr", 0.0, 1.0, 1e-4);
    m_finetuneLr->setDecimals(6);
    m_finetuneLr->setToolTip(tr("Peak learning rate (AdamW; linear warm-up, then linear decay)"));
    condense->addRow(tr("Learning rate:"), m_finetuneLr);
    auto* trainRow = new QHBoxLayout;
    m_trainPath = new QLineEdit(this);
    m_trainPath->setObjectName(QStringLiteral("condenseTrainPath"));
    m_trainPath->setPlaceholderText(tr("the calibration text"));
    auto* browse = new QToolButton(this);
    browse->setText(QStringLiteral("\u2026"));
    trainRow->addWidget(m_trainPath, 1);
    trainRow->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Training text"), QString(), tr("Text (*.txt *.jsonl);;All files (*)"));
        if (!file.isEmpty())
            m_trainPath->setText(file);
    });
    condense->addRow(tr("Training text:"), trainRow);

    const auto emitChanged = [this] {
        if (!m_filling)
            Q_EMIT changed();
    };
    for (auto* box : findChildren<QSpinBox*>())
        connect(box, &QSpinBox::valueChanged, this, emitChanged);
    for (auto* box : findChildren<QDoubleSpinBox*>())
        connect(box, &QDoubleSpinBox::valueChanged, this, emitChanged);
    for (auto* box : findChildren<QComboBox*>())
        connect(box, &QComboBox::currentTextChanged, this, emitChanged);
    connect(m_trainPath, &QLineEdit::textChanged, this, emitChanged);
    setParameters(MethodParameters{});
    setMethod(QStringLiteral("moe-i2"));
}

void MethodForm::setMethod(const QString& method)
{
    m_expertDrop->setVisible(method == QLatin1String("expert-drop"));
    m_layerDrop->setVisible(method == QLatin1String("layer-drop") || method == QLatin1String("block-drop"));
    m_blockMode->setVisible(method == QLatin1String("block-drop"));
    m_blockModeLabel->setVisible(method == QLatin1String("block-drop"));
    m_slimming->setVisible(method == QLatin1String("wanda") || method == QLatin1String("sparsegpt"));
    m_condense->setVisible(method == QLatin1String("condense"));
    setVisible(isExtraMethod(method));
}

void MethodForm::setParameters(const MethodParameters& p)
{
    m_filling = true;
    select(m_dropMode, p.dropMode);
    m_dropRatio->setValue(p.dropRatio);
    m_preserveN->setValue(p.preserveN);
    m_dropN->setValue(p.dropN);
    select(m_blockMode, p.blockMode);
    m_sparsity->setValue(p.sparsity);
    select(m_pattern, p.pattern);
    m_condenseLayers->setValue(p.condenseLayers);
    m_condenseExperts->setValue(p.condenseExperts);
    select(m_metric, p.condenseMetric);
    m_finetuneSteps->setValue(p.condenseFinetuneSteps);
    m_finetuneLr->setValue(p.condenseFinetuneLr);
    m_trainPath->setText(p.condenseTrainPath);
    m_filling = false;
}

MethodParameters MethodForm::parameters() const
{
    MethodParameters p;
    p.dropMode = value(m_dropMode);
    p.dropRatio = m_dropRatio->value();
    p.preserveN = m_preserveN->value();
    p.dropN = m_dropN->value();
    p.blockMode = value(m_blockMode);
    p.sparsity = m_sparsity->value();
    p.pattern = value(m_pattern);
    p.condenseLayers = m_condenseLayers->value();
    p.condenseExperts = m_condenseExperts->value();
    p.condenseMetric = value(m_metric);
    p.condenseFinetuneSteps = m_finetuneSteps->value();
    p.condenseFinetuneLr = m_finetuneLr->value();
    p.condenseTrainPath = m_trainPath->text().trimmed();
    return p;
}

QList<ParameterIssue> checkMethodParameters(const QString& method, const MethodParameters& p, const ModelSummary& model)
{
    QList<ParameterIssue> issues;
    const auto error = [&](const QString& field, const QString& message) {
        issues.push_back({ParameterIssue::Severity::Error, field, message});
    };
    std::vector<const LayerNode*> moe;
    for (const auto& layer : model.layers)
        if (layer.moe && !layer.experts.empty())
            moe.push_back(&layer);
    const int moeLayers = static_cast<int>(moe.size());
    const int layers = static_cast<int>(model.layers.size());
    if (method == QLatin1String("expert-drop")) {
        if (p.preserveN > 0) {
            for (const auto* l : moe) {
                const int e = static_cast<int>(l->experts.size());
                if (p.preserveN > e)
                    error(QStringLiteral("preserveN"),
                        MethodChecks::tr("Keep per layer is %1, but layer %2 has only %3 experts.")
                            .arg(p.preserveN).arg(l->index).arg(e));
                else if (p.preserveN < l->topK)
                    error(QStringLiteral("preserveN"),
                        MethodChecks::tr("Keeping %1 experts leaves layer %2 fewer than the %3 each token is routed to (top-k).")
                            .arg(p.preserveN).arg(l->index).arg(l->topK));
                if (!issues.isEmpty())
                    break;
            }
        } else if (p.dropMode == QLatin1String("global")) {
            int total = 0, spare = 0;
            for (const auto* l : moe) {
                total += static_cast<int>(l->experts.size());
                spare += static_cast<int>(l->experts.size()) - l->topK;
            }
            const int drop = static_cast<int>(std::lround(p.dropRatio * total));
            if (drop > spare)
                error(QStringLiteral("dropRatio"),
                    MethodChecks::tr("Dropping %1 of %2 experts: at most %3 can go while every layer keeps top-k.")
                        .arg(drop).arg(total).arg(spare));
        } else {
            for (const auto* l : moe) {
                const int e = static_cast<int>(l->experts.size());
                const int drop = static_cast<int>(std::lround(p.dropRatio * e));
                if (e - drop < l->topK) {
                    error(QStringLiteral("dropRatio"),
                        MethodChecks::tr("Layer %1: dropping %2 of %3 experts leaves fewer than the %4 each token is routed to (top-k).")
                            .arg(l->index).arg(drop).arg(e).arg(l->topK));
                    break;
                }
            }
        }
    } else if (method == QLatin1String("layer-drop")) {
        if (p.dropN > moeLayers)
            error(QStringLiteral("dropN"),
                MethodChecks::tr("Layer Drop removes MoE sublayers: the model has %1, so Drop N can be at most %1.")
                    .arg(moeLayers));
    } else if (method == QLatin1String("block-drop")) {
        if (layers > 0 && p.dropN > layers - 1)
            error(QStringLiteral("dropN"),
                MethodChecks::tr("Block Drop keeps at least one of the %1 decoder blocks: Drop N can be at most %2.")
                    .arg(layers).arg(layers - 1));
    } else if (method == QLatin1String("wanda") || method == QLatin1String("sparsegpt")) {
        if (p.pattern != QLatin1String("unstructured")) {
            const auto [n, m] = nOfM(p.pattern);
            if (m <= 0 || n <= 0 || n >= m)
                error(QStringLiteral("pattern"),
                    MethodChecks::tr("Pattern '%1': write unstructured or N:M with 0 < N < M (e.g. 2:4).").arg(p.pattern));
        } else if (p.sparsity <= 0.0) {
            error(QStringLiteral("sparsity"), MethodChecks::tr("Sparsity 0 prunes nothing."));
        }
    } else if (method == QLatin1String("condense")) {
        if (p.condenseLayers > moeLayers)
            error(QStringLiteral("condenseLayers"),
                MethodChecks::tr("The model has %1 MoE layers; at most %1 can be condensed.").arg(moeLayers));
        int fewest = 0;
        for (const auto* l : moe)
            fewest = fewest == 0 ? static_cast<int>(l->experts.size()) : std::min(fewest, static_cast<int>(l->experts.size()));
        if (fewest > 0 && p.condenseExperts > fewest)
            error(QStringLiteral("condenseExperts"),
                MethodChecks::tr("A condensed layer keeps at most its %1 experts.").arg(fewest));
        const bool finetune = p.condenseFinetuneSteps > 0;
        if (finetune && p.condenseFinetuneLr <= 0.0)
            error(QStringLiteral("condenseFinetuneLr"),
                MethodChecks::tr("The learning rate must be above 0."));
        if (finetune && !p.condenseTrainPath.isEmpty() && !QFileInfo::exists(p.condenseTrainPath))
            error(QStringLiteral("condenseTrainPath"),
                MethodChecks::tr("The training text %1 does not exist.").arg(p.condenseTrainPath));
    }
    if (moeLayers == 0 && !model.layers.empty() && method != QLatin1String("block-drop"))
        error(QStringLiteral("method"), MethodChecks::tr("The model has no MoE layers."));
    return issues;
}

void loadMethodParameters(QSettings& s, MethodParameters& p)
{
    const auto get = [&s](const char* key, auto fallback) {
        return s.value(QLatin1String(key), QVariant::fromValue(fallback)).template value<decltype(fallback)>();
    };
    p.dropRatio = get("expertDrop/ratio", p.dropRatio);
    p.preserveN = get("expertDrop/preserveN", p.preserveN);
    p.dropMode = get("expertDrop/mode", p.dropMode);
    p.dropN = get("layerDrop/dropN", p.dropN);
    p.blockMode = get("blockDrop/mode", p.blockMode);
    p.sparsity = get("slimming/sparsity", p.sparsity);
    p.pattern = get("slimming/pattern", p.pattern);
    p.condenseLayers = get("condense/layers", p.condenseLayers);
    p.condenseExperts = get("condense/experts", p.condenseExperts);
    p.condenseMetric = get("condense/metric", p.condenseMetric);
    p.condenseFinetuneSteps = get("condense/finetuneSteps", p.condenseFinetuneSteps);
    p.condenseFinetuneLr = get("condense/finetuneLr", p.condenseFinetuneLr);
    p.condenseTrainPath = get("condense/trainPath", p.condenseTrainPath);
}

void saveMethodParameters(QSettings& s, const MethodParameters& p)
{
    s.setValue(QStringLiteral("expertDrop/ratio"), p.dropRatio);
    s.setValue(QStringLiteral("expertDrop/preserveN"), p.preserveN);
    s.setValue(QStringLiteral("expertDrop/mode"), p.dropMode);
    s.setValue(QStringLiteral("layerDrop/dropN"), p.dropN);
    s.setValue(QStringLiteral("blockDrop/mode"), p.blockMode);
    s.setValue(QStringLiteral("slimming/sparsity"), p.sparsity);
    s.setValue(QStringLiteral("slimming/pattern"), p.pattern);
    s.setValue(QStringLiteral("condense/layers"), p.condenseLayers);
    s.setValue(QStringLiteral("condense/experts"), p.condenseExperts);
    s.setValue(QStringLiteral("condense/metric"), p.condenseMetric);
    s.setValue(QStringLiteral("condense/finetuneSteps"), p.condenseFinetuneSteps);
    s.setValue(QStringLiteral("condense/finetuneLr"), p.condenseFinetuneLr);
    s.setValue(QStringLiteral("condense/trainPath"), p.condenseTrainPath);
}

} // namespace moewb::gui
