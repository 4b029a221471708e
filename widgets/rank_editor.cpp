#include "widgets/rank_editor.h"

#include "widgets/heatmap_view.h"
#include "widgets/plot_frame.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace moewb::widgets {

namespace {

enum Column { kLayer, kExpert, kAllocated, kRank, kParameters, kReset, kColumns };
const QColor kOverride(255, 226, 160);
const QColor kBreakEven(246, 180, 180);

QTableWidgetItem* readOnly(const QString& text)
{
    auto* it = new QTableWidgetItem(text);
    it->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return it;
}

QString millions(double v)
{
    return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', 2);
}

} // namespace

RankEditor::RankEditor(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_planRow = new QWidget(this);
    auto* planLayout = new QHBoxLayout(m_planRow);
    planLayout->setContentsMargins(0, 0, 0, 0);
    auto* planLabel = new QLabel(tr("Plan:"), m_planRow);
    m_planBox = new QComboBox(m_planRow);
    m_planBox->setObjectName(QStringLiteral("rankPlan"));
    m_planBox->setToolTip(tr("The session's plans that factor experts; the one Decompose made last comes first"));
    m_planBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    planLabel->setBuddy(m_planBox);
    planLayout->addWidget(planLabel);
    planLayout->addWidget(m_planBox);
    planLayout->addStretch(1);
    m_planRow->hide(); // until there is a plan to choose
    layout->addWidget(m_planRow);
    connect(m_planBox, &QComboBox::currentTextChanged, this, [this](const QString& plan) {
        if (m_plans.count(plan) && plan != m_plan)
            showPlan(plan);
    });
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    auto* vertical = new QSplitter(Qt::Vertical, this);
    auto* top = new QSplitter(Qt::Horizontal, vertical);
    m_heatmap = new HeatmapView(top);
    m_table = new QTableWidget(0, kColumns, top);
    m_table->setHorizontalHeaderLabels(
        {tr("Layer"), tr("Expert"), tr("Allocated"), tr("Rank"), tr("Parameters"), QString()});
    m_table->horizontalHeaderItem(kRank)->setToolTip(
        tr("Rank of the expert's three matrices; type a number to fix it by hand (an override)"));
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    connect(m_table, &QTableWidget::itemChanged, this, &RankEditor::onEdited);
    top->addWidget(m_heatmap);
    top->addWidget(m_table);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    top->setSizes({600, 400});
    m_budget = new QCustomPlot(vertical);
    m_budget->setMinimumHeight(180);
    // The legend in a row of its own above the bars, so it never hides one.
    addLegendRow(m_budget, 0);
    m_budget->xAxis->setLabel(tr("MoE layer"));
    m_budget->yAxis->setLabel(tr("Parameters (M)"));
    vertical->addWidget(top);
    vertical->addWidget(m_budget);
    layout->addWidget(vertical, 1);
    connect(m_heatmap, &HeatmapView::cellClicked, this, [this](int row, int column) {
        if (row < 0 || row >= rows())
            return;
        const int layer = m_layers[static_cast<size_t>(row)].layer;
        for (int r = 0; r < m_table->rowCount(); ++r)
            if (m_table->item(r, kLayer)->text().toInt() == layer
                && m_table->item(r, kExpert)->text().toInt() == column)
                m_table->selectRow(r);
    });
    rebuild();
}

void RankEditor::setLayers(const std::vector<Layer>& layers, int maxExperts)
{
    m_layers = layers;
    m_maxExperts = maxExperts;
    std::map<Key, int> kept;
    for (const auto& [key, value] : m_overrides)
        if (const Layer* l = layerOf(key.first); l && l->ranks.count(key.second))
            kept[key] = value;
    m_overrides = kept;
    rebuild();
}

void RankEditor::setOverrides(const std::map<Key, int>& overrides)
{
    m_overrides = overrides;
    rebuild();
}

void RankEditor::resetOverride(int layer, int expert)
{
    if (m_overrides.erase({layer, expert}) == 0)
        return;
    rebuild();
    Q_EMIT overridesChanged();
}

void RankEditor::resetAll()
{
    if (m_overrides.empty())
        return;
    m_overrides.clear();
    rebuild();
    Q_EMIT overridesChanged();
}

const RankEditor::Layer* RankEditor::layerOf(int layer) const
{
    for (const auto& l : m_layers)
        if (l.layer == layer)
            return &l;
    return nullptr;
}

int RankEditor::rank(int layer, int expert) const
{
    if (const auto it = m_overrides.find({layer, expert}); it != m_overrides.end())
        return it->second;
    const Layer* l = layerOf(layer);
    if (!l)
        return -1;
    const auto it = l->ranks.find(expert);
    return it == l->ranks.end() ? -1 : it->second;
}

bool RankEditor::aboveBreakEven(int layer, int expert) const
{
    const Layer* l = layerOf(layer);
    const int r = rank(layer, expert);
    return l && r >= 0 && qint64(r) * (l->m + l->n) >= l->m * l->n;
}

qint64 RankEditor::denseParameters(int row) const
{
    const Layer& l = m_layers.at(static_cast<size_t>(row));
    return 3 * l.m * l.n * static_cast<qint64>(l.ranks.size() + l.denseExperts.size());
}

qint64 RankEditor::storedParameters(int row) const
{
    const Layer& l = m_layers.at(static_cast<size_t>(row));
    qint64 total = 3 * l.m * l.n * static_cast<qint64>(l.denseExperts.size());
    for (const auto& [expert, allocated] : l.ranks) {
        const qint64 r = rank(l.layer, expert);
        total += aboveBreakEven(l.layer, expert) ? 3 * l.m * l.n : 3 * r * (l.m + l.n);
    }
    return total;
}

void RankEditor::setPlans(const std::map<QString, std::vector<Layer>>& plans, const QString& preferred, int maxExperts)
{
    m_plans = plans;
    m_maxExperts = maxExperts;
    QString show = m_plan;
    if (preferred != m_preferred || !plans.count(show))
        show = plans.count(preferred) ? preferred : (plans.empty() ? QString() : plans.begin()->first);
    m_preferred = preferred;
    {
        const QSignalBlocker block(m_planBox);
        m_planBox->clear();
        for (const auto& [name, layers] : plans)
            m_planBox->addItem(name);
        m_planBox->setCurrentText(show);
    }
    m_planRow->setVisible(!plans.empty());
    showPlan(show);
}

void RankEditor::showPlan(const QString& plan)
{
    const auto it = m_plans.find(plan);
    m_plan = it == m_plans.end() ? QString() : plan;
    setLayers(it == m_plans.end() ? std::vector<Layer>{} : it->second, m_maxExperts);
    if (m_planBox->currentText() != m_plan) {
        const QSignalBlocker block(m_planBox);
        m_planBox->setCurrentText(m_plan);
    }
}

void RankEditor::setPlanName(const QString& plan)
{
    m_plan = plan;
    m_summary->setText(summary());
}

QString RankEditor::summary() const
{
    qint64 dense = 0, stored = 0;
    for (int row = 0; row < rows(); ++row) {
        dense += denseParameters(row);
        stored += storedParameters(row);
    }
    if (dense == 0)
        return tr("No low-rank plan in this session yet.");
    const QString plan = m_plan.isEmpty() ? QString() : tr("Plan %1.").arg(m_plan) + QLatin1Char(' ');
    return plan + tr(
        "Routed experts: %1 dense, %2 as planned (%3% removed by factorisation); ranks fixed by hand: %4.")
        .arg(millions(static_cast<double>(dense)), millions(static_cast<double>(stored)))
        .arg(100.0 * static_cast<double>(dense - stored) / static_cast<double>(dense), 0, 'f', 1)
        .arg(m_overrides.size());
}

void RankEditor::rebuild()
{
    m_filling = true;
    QStringList labels;
    for (const auto& l : m_layers)
        labels << tr("layer %1").arg(l.layer);
    m_heatmap->reset(labels, m_maxExperts, tr("Rank"));
    m_table->setRowCount(0);
    QVector<double> ticks, dense, stored;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int row = 0; row < rows(); ++row) {
        const Layer& l = m_layers[static_cast<size_t>(row)];
        std::vector<double> values(static_cast<size_t>(m_maxExperts), std::nan(""));
        for (const auto& [expert, allocated] : l.ranks) {
            const int r = rank(l.layer, expert);
            if (expert >= 0 && expert < m_maxExperts)
                values[static_cast<size_t>(expert)] = r;
            const int t = m_table->rowCount();
            m_table->insertRow(t);
            m_table->setItem(t, kLayer, readOnly(QString::number(l.layer)));
            m_table->setItem(t, kExpert, readOnly(QString::number(expert)));
            m_table->setItem(t, kAllocated, readOnly(QString::number(allocated)));
            auto* edit = new QTableWidgetItem;
            edit->setData(Qt::EditRole, r);
            edit->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            const bool overridden = isOverridden(l.layer, expert), wasteful = aboveBreakEven(l.layer, expert);
            if (overridden || wasteful) {
                QFont bold = edit->font();
                bold.setBold(overridden);
                edit->setFont(bold);
                edit->setBackground(wasteful ? kBreakEven : kOverride);
            }
            if (wasteful)
                edit->setToolTip(
                    tr("At or above break-even: rank %1 stores %2 parameters per matrix, the dense "
                       "matrix %3; it stays dense")
                        .arg(r)
                        .arg(qint64(r) * (l.m + l.n))
                        .arg(l.m * l.n));
            m_table->setItem(t, kRank, edit);
            m_table->setItem(t, kParameters,
                readOnly(QString::number(wasteful ? 3 * l.m * l.n : 3 * qint64(r) * (l.m + l.n))));
            if (overridden) {
                auto* reset = new QToolButton(m_table);
                reset->setText(tr("Reset"));
                reset->setAutoRaise(true);
                const int layer = l.layer, e = expert;
                connect(reset, &QToolButton::clicked, this, [this, layer, e] { resetOverride(layer, e); });
                m_table->setCellWidget(t, kReset, reset);
            }
        }
        m_heatmap->setRow(row, values);
        ticks << row;
        ticker->addTick(row, QString::number(l.layer));
        dense << static_cast<double>(denseParameters(row)) / 1e6;
        stored << static_cast<double>(storedParameters(row)) / 1e6;
    }
    m_budget->clearPlottables();
    auto* denseBars = new QCPBars(m_budget->xAxis, m_budget->yAxis);
    denseBars->setName(tr("dense"));
    denseBars->setBrush(QColor(150, 150, 150));
    denseBars->setPen(Qt::NoPen);
    denseBars->setWidth(0.35);
    auto* storedBars = new QCPBars(m_budget->xAxis, m_budget->yAxis);
    storedBars->setName(tr("as planned"));
    storedBars->setBrush(QColor(66, 133, 244));
    storedBars->setPen(Qt::NoPen);
    storedBars->setWidth(0.35);
    QVector<double> left, right;
    for (double t : ticks) {
        left << t - 0.18;
        right << t + 0.18;
    }
    denseBars->setData(left, dense);
    storedBars->setData(right, stored);
    m_budget->xAxis->setTicker(ticker);
    m_budget->xAxis->setRange(-0.6, std::max(1.0, static_cast<double>(rows()) - 0.4));
    double top = 0;
    for (double v : dense)
        top = std::max(top, v);
    m_budget->yAxis->setRange(0, top > 0 ? top * 1.15 : 1);
    m_budget->replot(QCustomPlot::rpQueuedReplot);
    m_summary->setText(summary());
    m_filling = false;
}

void RankEditor::onEdited(QTableWidgetItem* item)
{
    if (m_filling || item->column() != kRank)
        return;
    const int layer = m_table->item(item->row(), kLayer)->text().toInt();
    const int expert = m_table->item(item->row(), kExpert)->text().toInt();
    bool ok = false;
    const int value = item->data(Qt::EditRole).toInt(&ok);
    if (ok)
        m_overrides[{layer, expert}] = value;
    else
        m_overrides.erase({layer, expert});
    QMetaObject::invokeMethod(
        this, [this] { rebuild(); }, Qt::QueuedConnection);
    Q_EMIT overridesChanged();
}

} // namespace moewb::widgets
