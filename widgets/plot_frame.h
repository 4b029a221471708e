// The frame the plot widgets here share: a QCustomPlot filling its owner, a right axis in a series'
// colour, a bold title and the legend in rows of their own above the axis rect (inside it the legend
// hid data), and the timer that coalesces repaints. Each widget keeps its own series and colours.
#pragma once
#include <QString>
#include <functional>

class QColor;
class QCPTextElement;
class QCustomPlot;
class QFont;
class QObject;
class QTimer;
class QWidget;

namespace moewb::widgets {

// A QCustomPlot filling `owner` (a zero-margin vertical layout), axes labelled.
QCustomPlot* fillWithPlot(QWidget* owner, const QString& xLabel, const QString& yLabel);
// Shows the right axis with `label`; label and tick labels in a darker `colour` (its series').
void showRightAxis(QCustomPlot* plot, const QString& label, const QColor& colour);
// Inserts a row at `row` holding a title of `font`; the row takes no more height than it needs, and
// the title wraps onto more lines where the plot is narrower than its text (never clipped).
QCPTextElement* addTitleRow(QCustomPlot* plot, int row, const QString& text, const QFont& font);
// Inserts a row at `row` holding the legend, entries side by side without a border.
void addLegendRow(QCustomPlot* plot, int row);
// `timer` calls `onTimeout` at most 25 times a second: a run of changes costs one repaint.
void coalesceReplots(QTimer& timer, QObject* context, std::function<void()> onTimeout);

} // namespace moewb::widgets
