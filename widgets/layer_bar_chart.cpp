#include "widgets/layer_bar_chart.h"

#include "widgets/plot_frame.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace moewb::widgets {

namespace {
const QColor kImportance(0x3b, 0x52, 0x8b);
const QColor kSelected(0xe0, 0x20, 0x40);
const QColor kCount(0xf0, 0x9a, 0x3e);
} // namespace

LayerBarChart::LayerBarChart(QWidget* parent)
    : QWidget(parent)
{
    m_plot = fillWithPlot(this, tr("MoE layer"), tr("Importance"));
    showRightAxis(m_plot, tr("Experts to prune (P)"), kCount);

    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setName(tr("layer importance (sum of expert removal losses)"));
    m_bars->setWidth(0.4);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(kImportance);
    m_countBars = new QCPBars(m_plot->xAxis, m_plot->yAxis2);
    m_countBars->setName(tr("experts to prune (right axis)"));
    m_countBars->setWidth(0.4);
    m_countBars->setPen(Qt::NoPen);
    m_countBars->setBrush(kCount);
    auto* group = new QCPBarsGroup(m_plot);
    group->setSpacing(2);
    m_bars->setBarsGroup(group);
    m_countBars->setBarsGroup(group);
    // The legend in a row of its own above the bars, so it never hides one.
    addLegendRow(m_plot, 0);
    // Room for the right axis' label and a few ticks on each axis; the dock scrolls no further.
    setMinimumHeight(200);

    coalesceReplots(m_replotTimer, this, [this] { m_plot->replot(QCustomPlot::rpQueuedRefresh); });
    connect(m_plot, &QCustomPlot::plottableClick, this,
        [this](QCPAbstractPlottable*, int dataIndex, QMouseEvent*) { Q_EMIT barClicked(dataIndex); });
    rebuild();
}

void LayerBarChart::setData(
    const QStringList& labels, const std::vector<double>& importance, const std::vector<int>& counts)
{
    m_labels = labels;
    m_importance = importance;
    m_importance.resize(static_cast<size_t>(labels.size()), std::numeric_limits<double>::quiet_NaN());
    m_counts = counts;
    rebuild();
}

void LayerBarChart::setImportance(int index, double value)
{
    if (index < 0 || index >= bars())
        return;
    m_importance[static_cast<size_t>(index)] = value;
    rebuild();
}

void LayerBarChart::setSelected(int index)
{
    m_selected = index;
    rebuild();
}

double LayerBarChart::importance(int index) const
{
    return index >= 0 && index < bars() ? m_importance[static_cast<size_t>(index)]
                                        : std::numeric_limits<double>::quiet_NaN();
}

int LayerBarChart::count(int index) const
{
    return index >= 0 && index < static_cast<int>(m_counts.size()) ? m_counts[static_cast<size_t>(index)]
                                                                   : -1;
}

void LayerBarChart::rebuild()
{
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    QVector<double> keys, values, countKeys, countValues;
    double top = 0;
    int topCount = 1;
    for (int i = 0; i < bars(); ++i) {
        ticker->addTick(i, m_labels.value(i));
        const double v = m_importance[static_cast<size_t>(i)];
        if (!std::isnan(v)) {
            keys << i;
            values << v;
            top = std::max(top, v);
        }
        if (i < static_cast<int>(m_counts.size())) {
            countKeys << i;
            countValues << m_counts[static_cast<size_t>(i)];
            topCount = std::max(topCount, m_counts[static_cast<size_t>(i)]);
        }
    }
    m_bars->setData(keys, values, true);
    m_countBars->setData(countKeys, countValues, true);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabelRotation(bars() > 12 ? 60 : 0);
    m_plot->xAxis->setRange(-0.6, std::max(1, bars()) - 0.4);
    m_plot->yAxis->setRange(0, top > 0 ? top * 1.15 : 1);
    m_plot->yAxis2->setRange(0, topCount * 1.15);
    QSharedPointer<QCPAxisTickerFixed> countTicker(new QCPAxisTickerFixed);
    countTicker->setTickStep(1);
    countTicker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->yAxis2->setTicker(countTicker);
    fitTicks();

    // The selected layer as a light band behind its bars (both bars stay readable).
    m_plot->clearItems();
    if (m_selected >= 0 && m_selected < bars()) {
        auto* band = new QCPItemRect(m_plot);
        band->setLayer(QStringLiteral("background"));
        band->setPen(Qt::NoPen);
        band->setBrush(QColor(kSelected.red(), kSelected.green(), kSelected.blue(), 45));
        for (auto* p : {band->topLeft, band->bottomRight}) {
            p->setAxisRect(m_plot->axisRect());
            p->setTypeY(QCPItemPosition::ptAxisRectRatio);
        }
        band->topLeft->setCoords(m_selected - 0.5, 0);
        band->bottomRight->setCoords(m_selected + 0.5, 1);
    }
    scheduleReplot();
}

void LayerBarChart::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    fitTicks();
}

// About one tick label per 30 px of axis height (2 to 5), so a short dock does not stack the
// importance values or the counts 0..P on top of each other.
void LayerBarChart::fitTicks()
{
    const int axisHeight = m_plot->axisRect()->height() > 0 ? m_plot->axisRect()->height() : height() - 90;
    const int ticks = std::clamp(axisHeight / 30, 2, 5);
    for (QCPAxis* axis : {m_plot->yAxis, m_plot->yAxis2})
        axis->ticker()->setTickCount(ticks);
    scheduleReplot();
}

void LayerBarChart::scheduleReplot()
{
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

} // namespace moewb::widgets
