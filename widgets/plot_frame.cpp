#include "widgets/plot_frame.h"

#include <qcustomplot.h>

#include <QTimer>
#include <QVBoxLayout>

namespace moewb::widgets {

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
    auto* title = new QCPTextElement(plot, text, font);
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
