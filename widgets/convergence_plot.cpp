#include "widgets/convergence_plot.h"

#include "widgets/plot_frame.h"

#include <QCheckBox>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <array>

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

    m_compareBox = new QCheckBox(tr("Compare layers"), this);
    m_compareBox->setObjectName(QStringLiteral("compareLayers"));
    m_compareBox->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed); // never widens a narrow dock
    m_compareBox->setToolTip(tr("Overlay every searched layer's best loss divided by its generation-0 value: "
                                "how far and how fast each layer's search improved. Each curve ends in its "
                                "layer number; the selected layer is drawn thick"));
    static_cast<QVBoxLayout*>(layout())->insertWidget(0, m_compareBox);
    connect(m_compareBox, &QCheckBox::toggled, this, &ConvergencePlot::setCompareLayers);

    coalesceReplots(m_replotTimer, this, [this] {
        if (m_dirty)
            redraw();
        m_plot->replot(QCustomPlot::rpQueuedRefresh);
    });
}

void ConvergencePlot::clear()
{
    m_curves.clear();
    for (const auto& [layer, g] : m_layerGraphs)
        m_plot->removeGraph(g);
    m_layerGraphs.clear();
    for (const auto& [layer, label] : m_layerLabels)
        m_plot->removeItem(label);
    m_layerLabels.clear();
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
    if (layer == m_layer || m_compare) {
        m_dirty = true;
        scheduleReplot();
    }
}

void ConvergencePlot::setCompareLayers(bool on)
{
    m_compare = on;
    if (m_compareBox->isChecked() != on)
        m_compareBox->setChecked(on); // emits toggled, which calls here again with the same value
    m_dirty = true;
    scheduleReplot();
}

QCPGraph* ConvergencePlot::layerGraph(int layer) const
{
    const auto it = m_layerGraphs.find(layer);
    return it == m_layerGraphs.end() || !it->second->visible() ? nullptr : it->second;
}

QCPItemText* ConvergencePlot::layerLabel(int layer) const
{
    const auto it = m_layerLabels.find(layer);
    return it == m_layerLabels.end() || !it->second->visible() ? nullptr : it->second;
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
    for (auto* g : {m_best, m_mean, m_worst}) {
        g->setVisible(!m_compare);
        if (m_compare)
            g->removeFromLegend();
        else
            g->addToLegend();
    }
    for (const auto& [layer, g] : m_layerGraphs) {
        g->setVisible(m_compare);
        g->removeFromLegend(); // the overlay puts back the one it names
    }
    for (const auto& [layer, label] : m_layerLabels)
        label->setVisible(m_compare);
    if (m_compare)
        return redrawOverlay();
    m_plot->yAxis->setLabel(tr("Reconstruction loss (lower is better)"));
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

void ConvergencePlot::redrawOverlay()
{
    auto* title = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0));
    m_plot->yAxis->setLabel(tr("Best loss / generation 0"));
    // Okabe-Ito colours (yellow, too pale on white, replaced by grey), cycled; the line style changes
    // with each cycle.
    static const std::array<QColor, 7> colours{QColor(0xe6, 0x9f, 0x00), QColor(0x56, 0xb4, 0xe9),
        QColor(0x00, 0x9e, 0x73), QColor(0x55, 0x55, 0x55), QColor(0x00, 0x72, 0xb2), QColor(0xd5, 0x5e, 0x00),
        QColor(0xcc, 0x79, 0xa7)};
    static const std::array<Qt::PenStyle, 3> styles{Qt::SolidLine, Qt::DashLine, Qt::DotLine};
    double last = 1.0, low = 1.0, high = 1.0;
    size_t i = 0;
    for (const auto& [layer, c] : m_curves) {
        QCPGraph*& g = m_layerGraphs[layer];
        if (!g) {
            g = m_plot->addGraph();
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 3));
        }
        g->setName(tr("layer %1").arg(layer));
        g->setVisible(true);
        g->removeFromLegend();
        const QColor colour = colours[i % colours.size()];
        g->setPen(QPen(colour, layer == m_layer ? 3.5 : 1.5, styles[(i / colours.size()) % styles.size()]));
        ++i;
        QVector<double> x(c.generation.begin(), c.generation.end()), y;
        const double first = c.best.empty() ? 1.0 : c.best.front();
        for (double b : c.best) {
            y.push_back(first != 0 ? b / first : 1.0);
            low = std::min(low, y.back());
            high = std::max(high, y.back());
        }
        g->setData(x, y, true);
        if (c.generation.empty())
            continue;
        last = std::max(last, c.generation.back());
        QCPItemText*& label = m_layerLabels[layer];
        if (!label) {
            label = new QCPItemText(m_plot);
            label->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
            label->setClipToAxisRect(false);
        }
        label->setVisible(true);
        label->setText(QString::number(layer));
        QFont labelFont = font();
        labelFont.setPointSizeF(labelFont.pointSizeF() * 0.85);
        labelFont.setBold(layer == m_layer);
        label->setFont(labelFont);
        label->setColor(colour.darker(140));
        label->position->setCoords(c.generation.back() + 0.4, y.back());
    }
    // One legend entry, the selected layer (else the first): the curves carry their own labels, and an
    // empty legend would cap the layout column's width (QCustomPlot sizes it by its elements' maxima).
    const auto key = m_layerGraphs.count(m_layer) && m_curves.count(m_layer) ? m_layerGraphs.find(m_layer)
                                                                            : m_layerGraphs.begin();
    if (key != m_layerGraphs.end() && m_curves.count(key->first)) {
        key->second->setName(key->first == m_layer ? tr("layer %1 (selected)").arg(key->first)
                                                   : tr("layer %1").arg(key->first));
        key->second->addToLegend();
    }
    if (title)
        title->setText(m_curves.empty() ? tr("No search yet")
                                        : tr("%1 layers against generation 0").arg(m_curves.size()));
    const double pad = std::max((high - low) * 0.08, 0.005);
    m_plot->yAxis->setRange(low - pad, high + pad);
    m_plot->xAxis->setRange(-0.5, std::max(1.0, last) + 0.5 + 0.08 * std::max(4.0, last)); // room for labels
}

void ConvergencePlot::scheduleReplot()
{
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

} // namespace moewb::widgets
