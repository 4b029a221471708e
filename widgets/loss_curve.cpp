#include "widgets/loss_curve.h"

#include "widgets/plot_frame.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace moewb::widgets {

namespace {
const QColor kLoss(0x3b, 0x52, 0x8b);
const QColor kPerplexity(0xe0, 0x7a, 0x1e);
const QColor kHeldOutLoss(0x2e, 0x8b, 0x57);
const QColor kKept(0x55, 0x55, 0x55);

// The union of the value ranges of `graphs` that hold data; `found` false when none does.
QCPRange valueRange(std::initializer_list<const QCPGraph*> graphs, bool& found)
{
    QCPRange range;
    found = false;
    for (const QCPGraph* graph : graphs) {
        bool any = false;
        const QCPRange r = graph->getValueRange(any);
        if (any)
            range = found ? QCPRange(std::min(range.lower, r.lower), std::max(range.upper, r.upper)) : r;
        found = found || any;
    }
    return range;
}

// A graph's points, (key, value) by key.
QVector<QPointF> graphPoints(const QCPGraph* graph)
{
    QVector<QPointF> points;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        points << QPointF(it->key, it->value);
    return points;
}
} // namespace

LossCurve::LossCurve(QWidget* parent)
    : QWidget(parent)
{
    m_plot = fillWithPlot(this, tr("Step"), QString()); // the loss's label: start()
    showRightAxis(m_plot, tr("Held-out perplexity"), kPerplexity);
    m_loss = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_loss->setName(tr("training loss"));
    m_loss->setPen(QPen(kLoss, 1.5));
    m_perplexity = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    m_perplexity->setName(tr("held-out perplexity (right axis)"));
    m_perplexity->setPen(QPen(kPerplexity, 1.5, Qt::DashLine));
    m_perplexity->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kPerplexity, kPerplexity, 7));
    m_heldOutLoss = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_heldOutLoss->setPen(QPen(kHeldOutLoss, 1.5, Qt::DotLine));
    m_heldOutLoss->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, kHeldOutLoss, kHeldOutLoss, 9));
    m_keptLine = new QCPItemStraightLine(m_plot); // vertical through (kept, 0) and (kept, 1)
    m_keptLine->setPen(QPen(kKept, 1.5, Qt::DashLine));
    m_keptText = new QCPItemText(m_plot);
    m_keptText->position->setTypeX(QCPItemPosition::ptPlotCoords);
    m_keptText->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_keptText->setColor(kKept);
    m_keptText->setPadding(QMargins(4, 2, 4, 2));
    m_keptText->setBrush(QBrush(QColor(255, 255, 255, 220))); // readable over the lines
    addTitleRow(m_plot, 0, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    addLegendRow(m_plot, 1);
    coalesceReplots(m_replotTimer, this, [this] { m_plot->replot(QCustomPlot::rpQueuedRefresh); });
    start(QString(), 0);
}

void LossCurve::start(const QString& title, long long steps, const QString& lossLabel, const QString& heldOutLossName)
{
    m_plot->yAxis->setLabel(lossLabel.isEmpty() ? tr("Training loss (nats)") : lossLabel);
    m_title = title;
    m_steps = steps;
    m_lossValues.clear();
    m_loss->data()->clear();
    m_perplexity->data()->clear();
    m_heldOutLoss->data()->clear();
    m_heldOutLoss->setName(heldOutLossName);
    m_heldOutLoss->setVisible(!heldOutLossName.isEmpty());
    if (heldOutLossName.isEmpty())
        m_heldOutLoss->removeFromLegend();
    else
        m_heldOutLoss->addToLegend();
    markKept(-1);
    if (auto* element = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0)))
        element->setText(title.isEmpty() ? tr("Run \u25b8 Recover to see the loss curve") : title);
    scheduleReplot();
}

void LossCurve::addPoint(long long step, double loss, double perplexity, double heldOutLoss)
{
    if (!std::isnan(loss)) {
        m_loss->addData(static_cast<double>(step), loss);
        m_lossValues << loss;
    }
    if (!std::isnan(perplexity))
        m_perplexity->addData(static_cast<double>(step), perplexity);
    if (!std::isnan(heldOutLoss) && m_heldOutLoss->visible())
        m_heldOutLoss->addData(static_cast<double>(step), heldOutLoss);
    scheduleReplot();
}

void LossCurve::markKept(long long step)
{
    m_kept = step < 0 ? -1 : step;
    m_keptLine->setVisible(m_kept >= 0);
    m_keptText->setVisible(m_kept >= 0);
    if (m_kept >= 0) {
        const double x = static_cast<double>(m_kept);
        m_keptLine->point1->setCoords(x, 0);
        m_keptLine->point2->setCoords(x, 1);
        m_keptText->setText(tr("kept: step %1").arg(m_kept));
        placeKeptLabel();
    }
    scheduleReplot();
}

// At the top of the plot beside the line: on its right in the left half, on its left otherwise, so
// the text stays inside the axis rect (items are clipped to it).
void LossCurve::placeKeptLabel()
{
    const bool leftHalf = static_cast<double>(m_kept) <= 0.5 * static_cast<double>(std::max<long long>(1, m_steps));
    m_keptText->setPositionAlignment(Qt::AlignTop | (leftHalf ? Qt::AlignLeft : Qt::AlignRight));
    m_keptText->position->setCoords(static_cast<double>(m_kept), 0.0);
}

QVector<QPointF> LossCurve::heldOutLoss() const
{
    return graphPoints(m_heldOutLoss);
}

QVector<QPointF> LossCurve::lossSeries() const
{
    return graphPoints(m_loss);
}

QString LossCurve::keptLabel() const
{
    return m_kept >= 0 ? m_keptText->text() : QString();
}

QString LossCurve::lossLabel() const
{
    return m_plot->yAxis->label();
}

int LossCurve::lossPoints() const
{
    return m_loss->dataCount();
}

int LossCurve::perplexityPoints() const
{
    return m_perplexity->dataCount();
}

double LossCurve::lossAt(int index) const
{
    return index >= 0 && index < m_lossValues.size() ? m_lossValues[index] : std::nan("");
}

void LossCurve::scheduleReplot()
{
    bool found = false;
    const QCPRange loss = valueRange({m_loss, m_heldOutLoss}, found);
    if (found) {
        // Relative to the values: a distillation loss of 0.01 nats is not squeezed to the bottom.
        const double pad = std::max({1e-3, 0.1 * loss.size(), 0.02 * std::abs(loss.upper)});
        m_plot->yAxis->setRange(std::max(0.0, loss.lower - pad), loss.upper + pad);
    }
    bool foundP = false;
    QCPRange ppl = m_perplexity->getValueRange(foundP);
    if (foundP) {
        const double pad = std::max(0.5, 0.1 * ppl.size());
        m_plot->yAxis2->setRange(std::max(0.0, ppl.lower - pad), ppl.upper + pad);
    }
    // A margin at both ends: the points of step 0 and of the last step, and a kept line there, are
    // drawn whole instead of on the axis lines.
    const double last = std::max<double>(1, static_cast<double>(m_steps));
    const double margin = std::max(0.25, 0.015 * last);
    m_plot->xAxis->setRange(-margin, last + margin);
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

} // namespace moewb::widgets
