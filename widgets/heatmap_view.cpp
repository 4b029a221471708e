#include "widgets/heatmap_view.h"

#include "widgets/plot_frame.h"

#include <qcustomplot.h>

#include <QHelpEvent>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <limits>

namespace moewb::widgets {

HeatmapView::HeatmapView(QWidget* parent)
    : QWidget(parent)
{
    m_plot = fillWithPlot(this, tr("Expert"), tr("Layer"));
    QSharedPointer<QCPAxisTickerFixed> experts(new QCPAxisTickerFixed); // expert ids are integers
    experts->setTickStep(1);
    experts->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->xAxis->setTicker(experts);
    m_plot->yAxis->setRangeReversed(true); // layer 0 at the top, as in a model tree
    m_map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    m_scale = new QCPColorScale(m_plot);
    m_plot->plotLayout()->addElement(0, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_map->setColorScale(m_scale);
    // Viridis (perceptually uniform, colour-blind safe); this QCustomPlot has no preset for it.
    QCPColorGradient gradient;
    gradient.clearColorStops();
    const QColor stops[] = {QColor(0x44, 0x01, 0x54), QColor(0x3b, 0x52, 0x8b), QColor(0x21, 0x91, 0x8c),
        QColor(0x5e, 0xc9, 0x62), QColor(0xfd, 0xe7, 0x25)};
    for (int i = 0; i < 5; ++i)
        gradient.setColorStopAt(i / 4.0, stops[i]);
    gradient.setNanHandling(QCPColorGradient::nhTransparent);
    m_map->setGradient(gradient);
    m_map->setInterpolate(false);
    auto* marginGroup = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, marginGroup);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, marginGroup);

    m_selection = new QCPItemRect(m_plot);
    m_selection->setPen(QPen(QColor(0xe0, 0x20, 0x40), 2.5));
    m_selection->setBrush(Qt::NoBrush);
    m_selection->setVisible(false);

    coalesceReplots(m_replotTimer, this, [this] {
        // The data range over what is filled (a log scale needs a positive lower end).
        double low = std::numeric_limits<double>::infinity(), high = -low;
        for (double v : m_values)
            if (!std::isnan(v) && (!m_log || v > 0)) {
                low = std::min(low, v);
                high = std::max(high, v);
            }
        if (low <= high)
            m_map->setDataRange(QCPRange(low, high > low ? high : low + (m_log ? low : 1.0)));
        m_plot->replot(QCustomPlot::rpQueuedRefresh);
    });

    m_plot->setMouseTracking(true);
    m_plot->installEventFilter(this);
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        int row = 0, column = 0;
        if (cellAt(event->pos(), &row, &column))
            Q_EMIT cellClicked(row, column);
    });
    reset({}, 0, tr("Importance"));
}

void HeatmapView::reset(const QStringList& layerLabels, int experts, const QString& metricName)
{
    m_labels = layerLabels;
    m_metric = metricName;
    m_rows = static_cast<int>(layerLabels.size());
    m_columns = experts;
    m_values.assign(static_cast<size_t>(m_rows) * static_cast<size_t>(std::max(0, experts)),
        std::numeric_limits<double>::quiet_NaN());
    m_filled.assign(static_cast<size_t>(m_rows), 0);
    m_marked.clear();
    if (m_selection)
        m_selection->setVisible(false);

    m_map->data()->setSize(std::max(1, m_columns), std::max(1, m_rows));
    m_map->data()->setRange(QCPRange(0, std::max(0, m_columns - 1)), QCPRange(0, std::max(0, m_rows - 1)));
    m_map->data()->fill(std::numeric_limits<double>::quiet_NaN());
    m_scale->axis()->setLabel(metricName);

    QSharedPointer<QCPAxisTickerText> yTicker(new QCPAxisTickerText);
    for (int r = 0; r < m_rows; ++r)
        yTicker->addTick(r, layerLabels[r]);
    m_plot->yAxis->setTicker(yTicker);
    m_plot->xAxis->setRange(-0.5, std::max(0, m_columns) - 0.5);
    m_plot->yAxis->setRange(-0.5, std::max(0, m_rows) - 0.5);
    rebuildMarks();
    scheduleReplot();
}

void HeatmapView::setRow(int row, const std::vector<double>& values)
{
    if (row < 0 || row >= m_rows)
        return;
    const int n = std::min<int>(m_columns, static_cast<int>(values.size()));
    for (int c = 0; c < n; ++c) {
        m_values[static_cast<size_t>(row) * m_columns + c] = values[c];
        m_map->data()->setCell(
            c, row, m_log && !(values[c] > 0) ? std::numeric_limits<double>::quiet_NaN() : values[c]);
    }
    m_filled[row] = 1;
    scheduleReplot();
}

void HeatmapView::setMarked(const QSet<QPair<int, int>>& cells)
{
    m_marked = cells;
    rebuildMarks();
    scheduleReplot();
}

void HeatmapView::setLogScale(bool on)
{
    m_log = on;
    m_map->setDataScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    m_scale->axis()->setTicker(on ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                                  : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    if (on) // values <= 0 have no place on a log scale: blank, like cells not computed yet
        for (int r = 0; r < m_rows; ++r)
            for (int c = 0; c < m_columns; ++c) {
                const double v = value(r, c);
                m_map->data()->setCell(c, r, v > 0 ? v : std::numeric_limits<double>::quiet_NaN());
            }
    else
        for (int r = 0; r < m_rows; ++r)
            for (int c = 0; c < m_columns; ++c)
                m_map->data()->setCell(c, r, value(r, c));
    scheduleReplot();
}

void HeatmapView::setSelected(int row, int column)
{
    const bool valid = row >= 0 && row < m_rows && column < m_columns;
    m_selection->setVisible(valid);
    if (valid) {
        const double left = column < 0 ? -0.5 : column - 0.5;
        const double right = column < 0 ? m_columns - 0.5 : column + 0.5;
        m_selection->topLeft->setCoords(left, row - 0.5);
        m_selection->bottomRight->setCoords(right, row + 0.5);
    }
    scheduleReplot();
}

int HeatmapView::filledRows() const
{
    return static_cast<int>(std::count(m_filled.begin(), m_filled.end(), 1));
}

double HeatmapView::value(int row, int column) const
{
    if (row < 0 || row >= m_rows || column < 0 || column >= m_columns)
        return std::numeric_limits<double>::quiet_NaN();
    return m_values[static_cast<size_t>(row) * m_columns + column];
}

QString HeatmapView::cellText(int row, int column) const
{
    const double v = value(row, column);
    QString text = tr("%1, expert %2\n%3: %4")
                       .arg(row < m_labels.size() ? m_labels[row] : QString::number(row))
                       .arg(column)
                       .arg(m_metric)
                       .arg(std::isnan(v) ? tr("not computed yet") : QString::number(v, 'g', 6));
    if (m_marked.contains({row, column}))
        text += QLatin1Char('\n') + tr("removed by the current plan");
    return text;
}

void HeatmapView::scheduleReplot()
{
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

void HeatmapView::rebuildMarks()
{
    for (auto* item : m_markItems)
        m_plot->removeItem(item);
    m_markItems.clear();
    for (const auto& cell : m_marked) {
        auto* mark = new QCPItemText(m_plot);
        mark->position->setCoords(cell.second, cell.first);
        mark->setText(QStringLiteral("\u2715"));
        // White on a dark chip: legible on every colour of the scale.
        mark->setColor(Qt::white);
        mark->setBrush(QColor(0, 0, 0, 150));
        mark->setPadding(QMargins(2, 0, 2, 0));
        m_markItems.append(mark);
    }
}

bool HeatmapView::cellAt(const QPoint& pos, int* row, int* column) const
{
    if (!m_plot->axisRect()->rect().contains(pos))
        return false;
    const int c = static_cast<int>(std::lround(m_plot->xAxis->pixelToCoord(pos.x())));
    const int r = static_cast<int>(std::lround(m_plot->yAxis->pixelToCoord(pos.y())));
    if (r < 0 || r >= m_rows || c < 0 || c >= m_columns)
        return false;
    *row = r;
    *column = c;
    return true;
}

bool HeatmapView::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_plot && event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        int row = 0, column = 0;
        if (cellAt(help->pos(), &row, &column))
            QToolTip::showText(help->globalPos(), cellText(row, column), m_plot);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace moewb::widgets
