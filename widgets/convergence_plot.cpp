#include "widgets/convergence_plot.h"

#include "widgets/plot_frame.h"

#include <qcustomplot.h>

namespace moewb::widgets {

ConvergencePlot::ConvergencePlot(QWidget* parent)
    : QWidget(parent)
{
    m_plot = fillWithPlot(this, tr("Generation"), tr("Reconstruction loss (lower is better)"));
    QSharedPointer<QCPAxisTickerFixed> generations(new QCPAxisTickerFixed); // whole generations only
    generations->setTickStep(1);
    generations->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->xAxis->setTicker(generations);
    const auto graph = [this](const QString& name, const QColor& colour, Qt::PenStyle style) {
        auto* g = m_plot->addGraph();
        g->setName(name);
        g->setPen(QPen(colour, 2, style));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
        return g;
    };
    // Okabe-Ito colours: distinguishable with colour-blindness, and the line styles differ too.
    m_best = graph(tr("best"), QColor(0x00, 0x72, 0xb2), Qt::SolidLine);
    m_mean = graph(tr("mean"), QColor(0x00, 0x9e, 0x73), Qt::DashLine);
    m_worst = graph(tr("worst"), QColor(0xd5, 0x5e, 0x00), Qt::DotLine);
    // Title, then the legend in a row of its own (inside the axis rect it hid the worst curve).
    addTitleRow(m_plot, 0, tr("No search yet"), QFont(font().family(), 10, QFont::Bold));
    addLegendRow(m_plot, 1);

    coalesceReplots(m_replotTimer, this, [this] {
        if (m_dirty)
            redraw();
        m_plot->replot(QCustomPlot::rpQueuedRefresh);
    });
}

void ConvergencePlot::clear()
{
    m_curves.clear();
    m_dirty = true;
    scheduleReplot();
}

void ConvergencePlot::addPoint(int layer, int generation, double best, double mean, double worst)
{
    auto& c = m_curves[layer];
    c.generation.push_back(generation);
    c.best.push_back(best);
    c.mean.push_back(mean);
    c.worst.push_back(worst);
    if (layer == m_layer) {
        m_dirty = true;
        scheduleReplot();
    }
}

void ConvergencePlot::showLayer(int layer)
{
    m_layer = layer;
    m_dirty = true;
    scheduleReplot();
}

int ConvergencePlot::points(int layer) const
{
    const auto it = m_curves.find(layer);
    return it == m_curves.end() ? 0 : static_cast<int>(it->second.generation.size());
}

std::vector<int> ConvergencePlot::layers() const
{
    std::vector<int> out;
    for (const auto& [layer, curve] : m_curves)
        out.push_back(layer);
    return out;
}

void ConvergencePlot::redraw()
{
    m_dirty = false;
    auto* title = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0));
    const auto it = m_curves.find(m_layer);
    if (it == m_curves.end()) {
        for (auto* g : {m_best, m_mean, m_worst})
            g->data()->clear();
        if (title)
            title->setText(m_layer < 0 ? tr("Select a MoE layer to see its search")
                                       : tr("Layer %1: no search yet").arg(m_layer));
        return;
    }
    const Curve& c = it->second;
    const auto vec = [](const std::vector<double>& v) { return QVector<double>(v.begin(), v.end()); };
    const QVector<double> x = vec(c.generation);
    m_best->setData(x, vec(c.best), true);
    m_mean->setData(x, vec(c.mean), true);
    m_worst->setData(x, vec(c.worst), true);
    if (title)
        title->setText(c.generation.size() == 1
                ? tr("Layer %1: every set enumerated (exact optimum)").arg(m_layer)
                : tr("Layer %1: genetic search, %2 generations").arg(m_layer).arg(c.generation.size()));
    m_plot->rescaleAxes();
    const QCPRange y = m_plot->yAxis->range();
    const double pad = std::max(y.size() * 0.08, std::abs(y.upper) * 0.02 + 1e-12);
    m_plot->yAxis->setRange(y.lower - pad, y.upper + pad);
    m_plot->xAxis->setRange(-0.5, std::max<double>(1.0, static_cast<double>(c.generation.back())) + 0.5);
}

void ConvergencePlot::scheduleReplot()
{
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

} // namespace moewb::widgets
