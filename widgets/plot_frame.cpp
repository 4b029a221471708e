#include "widgets/plot_frame.h"

#include <qcustomplot.h>

#include <algorithm>

#include <QFontMetrics>
#include <QTimer>
#include <QVBoxLayout>

namespace moewb::widgets {

namespace {

// A title that wraps onto more lines when the plot is narrower than its text (QCPTextElement
// draws word-wrapped, but asks the layout for its whole one-line width, so a narrow dock clipped
// both ends: "yer 1: genetic search, 25 generatio"). It asks for the height of the text wrapped
// at the plot's width and for no more width than its longest word.
class WrappingTitle final : public QCPTextElement {
public:
    using QCPTextElement::QCPTextElement;

protected:
    QSize minimumOuterSizeHint() const override
    {
        const QMargins m = margins();
        const int width = std::max(1, parentPlot()->viewport().width() - m.left() - m.right());
        const QFontMetrics metrics(font());
        const QRect wrapped = metrics.boundingRect(QRect(0, 0, width, 1 << 20), textFlags() | Qt::TextWordWrap, text());
        int longestWord = 0;
        for (const QString& word : text().split(QLatin1Char(' '), Qt::SkipEmptyParts))
            longestWord = std::max(longestWord, metrics.horizontalAdvance(word));
        return {std::min(longestWord, width) + m.left() + m.right(), wrapped.height() + m.top() + m.bottom()};
    }
    QSize maximumOuterSizeHint() const override
    {
        return {QWIDGETSIZE_MAX, minimumOuterSizeHint().height()};
    }
};

} // namespace

QCustomPlot* fillWithPlot(QWidget* owner, const QString& xLabel, const QString& yLabel)
{
    auto* layout = new QVBoxLayout(owner);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* plot = new QCustomPlot(owner);
    layout->addWidget(plot);
    plot->xAxis->setLabel(xLabel);
    plot->yAxis->setLabel(yLabel);
    return plot;
}

void showRightAxis(QCustomPlot* plot, const QString& label, const QColor& colour)
{
    plot->yAxis2->setVisible(true);
    plot->yAxis2->setLabel(label);
    plot->yAxis2->setLabelColor(colour.darker(130));
    plot->yAxis2->setTickLabelColor(colour.darker(130));
}

QCPTextElement* addTitleRow(QCustomPlot* plot, int row, const QString& text, const QFont& font)
{
    auto* title = new WrappingTitle(plot, text, font);
    title->setTextFlags(title->textFlags() | Qt::TextWordWrap);
    plot->plotLayout()->insertRow(row);
    plot->plotLayout()->addElement(row, 0, title);
    plot->plotLayout()->setRowStretchFactor(row, 0.001);
    return title;
}

void addLegendRow(QCustomPlot* plot, int row)
{
    plot->legend->setVisible(true);
    plot->plotLayout()->insertRow(row);
    plot->plotLayout()->addElement(row, 0, plot->legend);
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setBorderPen(Qt::NoPen);
    plot->plotLayout()->setRowStretchFactor(row, 0.001);
}

void coalesceReplots(QTimer& timer, QObject* context, std::function<void()> onTimeout)
{
    timer.setSingleShot(true);
    timer.setInterval(40); // <= 25 repaints a second
    QObject::connect(&timer, &QTimer::timeout, context, std::move(onTimeout));
}

} // namespace moewb::widgets
