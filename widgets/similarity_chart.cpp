#include "widgets/similarity_chart.h"

#include "widgets/plot_frame.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace moewb::widgets {

namespace {
const QColor kKept(0x3b, 0x52, 0x8b);
const QColor kDropped(0xe0, 0x50, 0x30);
} // namespace

SimilarityChart::SimilarityChart(QWidget* parent)
    : QWidget(parent)
{
    m_plot = fillWithPlot(this, tr("Decoder layer"), tr("Cosine similarity, input vs output"));
    m_kept = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_kept->setName(tr("kept"));
    m_kept->setWidth(0.6);
    m_kept->setPen(Qt::NoPen);
    m_kept->setBrush(kKept);
    m_dropped = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_dropped->setName(tr("dropped (most redundant)"));
    m_dropped->setWidth(0.6);
    m_dropped->setPen(Qt::NoPen);
    m_dropped->setBrush(kDropped);
    // Title and legend in rows of their own above the bars.
    auto* title
        = addTitleRow(m_plot, 0, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    title->setObjectName(QStringLiteral("title"));
    addLegendRow(m_plot, 1);
    coalesceReplots(m_replotTimer, this, [this] { m_plot->replot(QCustomPlot::rpQueuedRefresh); });
    rebuild();
}

void SimilarityChart::setData(const QString& title, const QStringList& labels, const std::vector<double>& scores,
    const std::vector<int>& dropped)
{
    m_title = title;
    m_labels = labels;
    m_scores = scores;
    m_scores.resize(static_cast<size_t>(labels.size()), std::numeric_limits<double>::quiet_NaN());
    m_droppedIndices = dropped;
    rebuild();
}

void SimilarityChart::clear()
{
    setData(QString(), {}, {}, {});
}

double SimilarityChart::score(int index) const
{
    return index >= 0 && index < bars() ? m_scores[static_cast<size_t>(index)]
                                        : std::numeric_limits<double>::quiet_NaN();
}

bool SimilarityChart::isDropped(int index) const
{
    return std::find(m_droppedIndices.begin(), m_droppedIndices.end(), index) != m_droppedIndices.end();
}

void SimilarityChart::rebuild()
{
    if (auto* title = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0)))
        title->setText(m_title.isEmpty() ? tr("Run Layer Drop or Block Drop to see the similarity scores") : m_title);
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    QVector<double> keptKeys, keptValues, droppedKeys, droppedValues;
    double low = std::numeric_limits<double>::infinity(), high = -low;
    m_plot->clearItems();
    for (int i = 0; i < bars(); ++i) {
        ticker->addTick(i, m_labels.value(i));
        const double v = m_scores[static_cast<size_t>(i)];
        if (std::isnan(v))
            continue;
        (isDropped(i) ? droppedKeys : keptKeys) << i;
        (isDropped(i) ? droppedValues : keptValues) << v;
        low = std::min(low, v);
        high = std::max(high, v);
        auto* label = new QCPItemText(m_plot);
        label->position->setCoords(i, v);
        label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        label->setText(QString::number(v, 'f', 3));
        label->setFont(QFont(font().family(), std::max(6, font().pointSize() - 1)));
        label->setColor(isDropped(i) ? kDropped.darker(130) : QColor(0x30, 0x30, 0x30));
    }
    m_kept->setData(keptKeys, keptValues, true);
    m_dropped->setData(droppedKeys, droppedValues, true);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabelRotation(bars() > 16 ? 60 : 0);
    m_plot->xAxis->setRange(-0.6, std::max(1, bars()) - 0.4);
    // The scores sit close together near 1: the axis starts below the lowest so differences show.
    if (std::isfinite(low)) {
        const double span = std::max(high - low, 0.01);
        double bottom = std::max(-1.0, low - 0.6 * span);
        if (low >= 0 && bottom < 0)
            bottom = 0; // no negative axis under positive scores
        m_plot->yAxis->setRange(bottom, high + 0.12 * span); // room for the value labels
    } else {
        m_plot->yAxis->setRange(0, 1);
    }
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

} // namespace moewb::widgets
