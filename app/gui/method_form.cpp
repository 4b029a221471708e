// MethodForm's widgets (method_form.h); CD-MoE's group is in method_form_condense.cpp, the checks,
// the candidate list and QSettings in method_checks.cpp, the default plan names in method_plan_name.cpp.
#include "app/gui/method_form.h"
#include "app/gui/method_form_fields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>

namespace moewb::gui {

using form::real;
using form::select;
using form::spin;
using form::value;

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
    m_expertScore = new QComboBox(this);
    m_expertScore->setObjectName(QStringLiteral("expertScore"));
    m_expertScore->addItem(tr("Auto (gate weights for DeepSeek, else softmax)"), QStringLiteral("auto"));
    m_expertScore->addItem(tr("Softmax mass (full router softmax)"), QStringLiteral("softmax"));
    m_expertScore->addItem(tr("Gate weights (scattered top-k weights)"), QStringLiteral("gate"));
    m_expertScore->setToolTip(tr("What ranks the experts: the mean full-softmax routing probability, or "
                                 "the top-k combine weights (selection frequency x mean gate weight)"));
    drop->addRow(tr("Score:"), m_expertScore);

    auto* layers = group(m_layerDrop, tr("Layer / Block Drop"));
    m_dropN = spin(this, "dropN", 1, 4096);
    m_dropN->setToolTip(tr("MoE sublayers (Layer Drop) or decoder blocks (Block Drop) removed"));
    layers->addRow(tr("Drop N:"), m_dropN);
    m_blockMode = new QComboBox(this);
    m_blockMode->setObjectName(QStringLiteral("blockMode"));
    m_blockMode->addItem(tr("Discrete (the most similar blocks)"), QStringLiteral("discrete"));
    m_blockMode->addItem(tr("Consecutive (the most similar run)"), QStringLiteral("consecutive"));
    onlyFor(layers, tr("Block mode:"), m_blockMode, {QStringLiteral("block-drop")});
    m_maxSpan = spin(this, "maxSpan", 0, 4096);
    m_maxSpan->setSpecialValueText(tr("all layers"));
    m_maxSpan->setToolTip(tr("Longest run of blocks whose similarity the pass measures and caches (0: all); "
                             "bounds the hidden states kept in memory. Consecutive Block Drop measures at "
                             "least Drop N. Scores already in the session are reused."));
    layers->addRow(tr("Max span:"), m_maxSpan);

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
    m_sharedExperts = new QCheckBox(tr("Also prune the shared experts"), this);
    m_sharedExperts->setObjectName(QStringLiteral("sharedExperts"));
    m_sharedExperts->setToolTip(
        tr("Prune the shared expert MLP too (on every token), not only the routed experts"));
    slim->addRow(QString(), m_sharedExperts);
    m_sparseGptBlock = spin(this, "sparseGptBlock", 1, 65536);
    m_sparseGptBlock->setToolTip(tr("SparseGPT: columns per lazy batch of the OBS updates"));
    onlyFor(slim, tr("Block size:"), m_sparseGptBlock, {QStringLiteral("sparsegpt")});
    m_damping = real(this, "damping", 0.0, 1.0, 0.005);
    m_damping->setDecimals(4);
    m_damping->setToolTip(tr("SparseGPT: dampening of the Hessian, H += damping x mean(diag H) x I"));
    onlyFor(slim, tr("Damping:"), m_damping, {QStringLiteral("sparsegpt")});

    buildCondense(group(m_condense, tr("CD-MoE condensing")));

    auto* compose = group(m_compose, tr("Composition"));
    m_after = new QComboBox(this);
    m_after->setObjectName(QStringLiteral("after"));
    m_after->setToolTip(tr("A plan of the session applied first: the method runs on that compressed model "
                           "and the new plan holds its steps followed by the method's"));
    compose->addRow(tr("Run after plan:"), m_after);
    setPlans({});

    auto* result = group(m_result, tr("Result"));
    m_planName = new QLineEdit(this);
    m_planName->setObjectName(QStringLiteral("planName"));
    m_planName->setToolTip(tr("Name of the plan stored in the session (empty: the name shown, the method's "
                              "default); a plan of the same name is replaced"));
    result->addRow(tr("Plan name:"), m_planName);

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
    for (auto* edit : {m_trainPath, m_candidates, m_planName})
        connect(edit, &QLineEdit::textChanged, this, emitChanged);
    for (auto* box : {m_sharedExperts, m_finetuneShared})
        connect(box, &QCheckBox::toggled, this, emitChanged);
    connect(this, &MethodForm::changed, this, &MethodForm::updateFields);
    setParameters(MethodParameters{});
    setMethod(QStringLiteral("moe-i2"));
}

void MethodForm::onlyFor(QFormLayout* form, const QString& label, QWidget* field, const QStringList& methods)
{
    auto* text = new QLabel(label, this);
    form->addRow(text, field);
    m_onlyFor.push_back({methods, text, field});
}

void MethodForm::setPlans(const QStringList& plans)
{
    const QString chosen = value(m_after);
    const bool filling = m_filling;
    m_filling = true;
    m_after->clear();
    m_after->addItem(tr("none (the original model)"), QString());
    for (const QString& plan : plans)
        m_after->addItem(plan, plan);
    m_after->setCurrentIndex(std::max(0, m_after->findData(chosen)));
    m_filling = filling;
    if (value(m_after) != chosen && !m_filling)
        Q_EMIT changed();
}

void MethodForm::setMethod(const QString& method)
{
    m_method = method;
    m_compose->setVisible(isExtraMethod(method) && method != QLatin1String("condense"));
    m_expertDrop->setVisible(method == QLatin1String("expert-drop"));
    m_layerDrop->setVisible(method == QLatin1String("layer-drop") || method == QLatin1String("block-drop"));
    for (const auto& [methods, label, field] : m_onlyFor) {
        label->setVisible(methods.contains(method));
        field->setVisible(methods.contains(method));
    }
    m_slimming->setVisible(method == QLatin1String("wanda") || method == QLatin1String("sparsegpt"));
    m_condense->setVisible(method == QLatin1String("condense"));
    setVisible(isExtraMethod(method));
    updateFields();
}

void MethodForm::setParameters(const MethodParameters& p)
{
    m_filling = true;
    m_after->setCurrentIndex(std::max(0, m_after->findData(p.after))); // none when the session lacks it
    select(m_dropMode, p.dropMode);
    select(m_expertScore, p.expertScore);
    m_maxSpan->setValue(p.maxSpan);
    m_sharedExperts->setChecked(p.sharedExperts);
    m_sparseGptBlock->setValue(p.sparseGptBlock);
    m_damping->setValue(p.damping);
    m_candidates->setText(p.condenseCandidates);
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
    select(m_condenseBy, p.condenseByTarget ? QStringLiteral("target") : QStringLiteral("layers"));
    m_targetParams->setValue(static_cast<double>(p.condenseTargetParams));
    m_finetuneBatch->setValue(p.condenseFinetuneBatch);
    m_finetuneWarmup->setValue(p.condenseFinetuneWarmup);
    m_finetuneWeightDecay->setValue(p.condenseFinetuneWeightDecay);
    m_finetuneShared->setChecked(p.condenseFinetuneShared);
    m_planName->setText(p.planName);
    m_filling = false;
    updateFields();
}

MethodParameters MethodForm::parameters() const
{
    MethodParameters p;
    p.after = value(m_after);
    p.dropMode = value(m_dropMode);
    p.expertScore = value(m_expertScore);
    p.maxSpan = m_maxSpan->value();
    p.sharedExperts = m_sharedExperts->isChecked();
    p.sparseGptBlock = m_sparseGptBlock->value();
    p.damping = m_damping->value();
    p.condenseCandidates = m_candidates->text().trimmed();
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
    p.condenseByTarget = value(m_condenseBy) == QLatin1String("target");
    p.condenseTargetParams = static_cast<qint64>(m_targetParams->value());
    p.condenseFinetuneBatch = m_finetuneBatch->value();
    p.condenseFinetuneWarmup = m_finetuneWarmup->value();
    p.condenseFinetuneWeightDecay = m_finetuneWeightDecay->value();
    p.condenseFinetuneShared = m_finetuneShared->isChecked();
    p.planName = m_planName->text(); // as typed: outer spaces are refused, not dropped
    return p;
}

} // namespace moewb::gui
