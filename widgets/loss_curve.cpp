#include "widgets/loss_curve.h"

#include "widgets/plot_frame.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace moewb::widgets {

namespace {
const QColor kLoss(0x3b, 0x52, 0x8b);
const QColor kPerplexity(0xe0, 0x7a, 0x1e);
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
    addTitleRow(m_plot, 0, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    addLegendRow(m_plot, 1);
    coalesceReplots(m_replotTimer, this, [this] { m_plot->replot(QCustomPlot::rpQueuedRefresh); });
    start(QString(), 0);
}

void LossCurve::start(const QString& title, long long steps, const QString& lossLabel)
{
    m_plot->yAxis->setLabel(lossLabel.isEmpty() ? tr("Training loss (nats)") : lossLabel);
    m_title = title;
    m_steps = steps;
    m_lossValues.clear();
    m_loss->data()->clear();
    m_perplexity->data()->clear();
    if (auto* element = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0)))
        element->setText(title.isEmpty() ? tr("Run \u25b8 Recover to see the loss curve") : title);
    scheduleReplot();
}

void LossCurve::addPoint(long long step, double loss, double perplexity)
{
    if (!std::isnan(loss)) {
        m_loss->addData(static_cast<double>(step), loss);
        m_lossValues << loss;
    }
    if (!std::isnan(perplexity))
        m_perplexity->addData(static_cast<double>(step), perplexity);
    scheduleReplot();
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
    QCPRange loss = m_loss->getValueRange(found);
    if (found) {
        const double pad = std::max(0.05, 0.1 * loss.size());
        m_plot->yAxis->setRange(std::max(0.0, loss.lower - pad), loss.upper + pad);
    }
    bool foundP = false;
    QCPRange ppl = m_perplexity->getValueRange(foundP);
    if (foundP) {
        const double pad = std::max(0.5, 0.1 * ppl.size());
        m_plot->yAxis2->setRange(std::max(0.0, ppl.lower - pad), ppl.upper + pad);
    }
    m_plot->xAxis->setRange(0, std::max<double>(1, static_cast<double>(m_steps)));
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

} // namespace moewb::widgets
