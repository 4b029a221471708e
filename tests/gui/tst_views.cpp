// The views without a model: the metric switch keeps every metric's rows and the marks, the bar
// chart holds importance and pruning counts, convergence curves grow per layer and switch with the
// selection (a narrow plot wraps its title) or overlay every layer relative to generation 0, the KT
// table shows one row per block, repaints are coalesced, and the loss curve draws a held-out loss
// only when named and marks the kept step.
#include "widgets/block_table.h"
#include "widgets/convergence_plot.h"
#include "widgets/heatmap_view.h"
#include "widgets/importance_panel.h"
#include "widgets/layer_bar_chart.h"
#include "widgets/loss_curve.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QSignalSpy>
#include <QTest>
#include <cmath>

using namespace moewb::widgets;

class TestViews : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricSwitchKeepsRowsAndMarks();
    void logScaleBlanksNonPositive();
    void barChartHoldsImportanceAndCounts();
    void shortBarChartSpacesItsTicks();
    void convergenceGrowsPerLayer();
    void convergenceComparesLayers();
    void narrowPlotWrapsTitle();
    void blockTableRows();
    void repaintsAreCoalesced();
    void lossCurveHeldOutLossAndKeptStep();
};

void TestViews::metricSwitchKeepsRowsAndMarks()
{
    ImportancePanel panel;
    panel.reset({"layer 1", "layer 3"}, 3);
    panel.setRow(1, {std::vector<double>{1, 2, 3}, {0.1, 0.2, 0.7}, {0.5, 0.5, 0.5}, {0.3, 0.3, 0.4}});
    panel.setMarked({{1, 2}});
    QCOMPARE(panel.heatmap()->filledRows(), 1);
    QCOMPARE(panel.heatmap()->value(1, 2), 3.0);
    panel.setMetric(ImportancePanel::SelectionFrequency);
    QCOMPARE(panel.heatmap()->filledRows(), 1);
    QCOMPARE(panel.heatmap()->value(1, 2), 0.7);
    QVERIFY(panel.heatmap()->cellText(1, 2).contains("Selection frequency"));
    QVERIFY(panel.heatmap()->marked().contains({1, 2}));
    QVERIFY(!panel.heatmap()->logScale()); // fractions: linear
    panel.setMetric(ImportancePanel::RemovalLoss);
    QCOMPARE(panel.heatmap()->value(1, 0), 1.0);
    QVERIFY(panel.heatmap()->logScale());
    panel.reset({"layer 1", "layer 3"}, 3); // a new analysis clears rows and marks
    QCOMPARE(panel.heatmap()->filledRows(), 0);
    QVERIFY(panel.heatmap()->marked().isEmpty());
}

void TestViews::logScaleBlanksNonPositive()
{
    HeatmapView view;
    view.reset({"a"}, 3, "m");
    view.setRow(0, {0.0, 10.0, 1000.0});
    view.setLogScale(true);
    auto* map = qobject_cast<QCPColorMap*>(view.plot()->plottable(0));
    QVERIFY(map);
    QVERIFY(std::isnan(map->data()->cell(0, 0))); // 0 has no place on a log scale
    QCOMPARE(map->data()->cell(2, 0), 1000.0);
    QCOMPARE(view.value(0, 0), 0.0); // the value itself is kept (tooltip, linear scale)
    view.setLogScale(false);
    QCOMPARE(map->data()->cell(0, 0), 0.0);
}

void TestViews::barChartHoldsImportanceAndCounts()
{
    LayerBarChart chart;
    chart.setData({"0", "1", "2"}, {5.0, NAN, 1.0}, {});
    QCOMPARE(chart.bars(), 3);
    QCOMPARE(chart.count(0), -1);
    QVERIFY(std::isnan(chart.importance(1)));
    chart.setImportance(1, 2.5);
    QCOMPARE(chart.importance(1), 2.5);
    chart.setData({"0", "1", "2"}, {5.0, 2.5, 1.0}, {0, 1, 3});
    QCOMPARE(chart.count(2), 3);
    QCOMPARE(chart.count(0), 0);
}

// A short Layer importance dock keeps its tick labels apart (at least 20 px a tick on each value
// axis): with the counts' unit step it stacked 0..6 into 100 px.
void TestViews::shortBarChartSpacesItsTicks()
{
    LayerBarChart chart;
    chart.setData({"0", "1", "2", "3", "4", "5"}, {12500, 1300, 1300, 2000, 2800, 2400}, {1, 6, 6, 4, 3, 4});
    chart.resize(800, 200);
    chart.show();
    QTRY_VERIFY(chart.plot()->height() > 150);
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    const int height = chart.plot()->axisRect()->height();
    for (QCPAxis* axis : {chart.plot()->yAxis, chart.plot()->yAxis2}) {
        const int ticks = static_cast<int>(axis->tickVector().size());
        QVERIFY2(ticks >= 2 && ticks * 20 <= height,
            qPrintable(QStringLiteral("%1 ticks on a %2 px axis").arg(ticks).arg(height)));
    }
}

void TestViews::convergenceGrowsPerLayer()
{
    ConvergencePlot plot;
    plot.showLayer(3);
    for (int g = 0; g < 4; ++g)
        plot.addPoint(3, g, 10.0 - g, 12.0 - g, 15.0 - g);
    plot.addPoint(5, 0, 1, 2, 3);
    QCOMPARE(plot.points(3), 4);
    QCOMPARE(plot.points(5), 1);
    QCOMPARE(plot.points(7), 0);
    QCOMPARE(plot.layers(), (std::vector<int>{3, 5}));
    QTRY_COMPARE(plot.plot()->graph(0)->dataCount(), 4); // after the coalesced redraw
    QCOMPARE(plot.plot()->graph(0)->data()->at(3)->value, 7.0);
    QCOMPARE(plot.plot()->graph(2)->data()->at(0)->value, 15.0);
    plot.showLayer(5);
    QTRY_COMPARE(plot.plot()->graph(0)->dataCount(), 1);
    plot.clear();
    QCOMPARE(plot.points(3), 0);
}

// "Compare layers": one graph per searched layer, its best loss divided by its generation-0 value
// (layers' scales differ: 200 vs 2), the selected one thicker, the three curves hidden; off again
// brings them back. Points arriving for any layer update the overlay.
void TestViews::convergenceComparesLayers()
{
    ConvergencePlot plot;
    plot.showLayer(1);
    for (int g = 0; g < 3; ++g) {
        plot.addPoint(1, g, 200.0 - 20 * g, 250, 300);
        plot.addPoint(4, g, 2.0 - 0.5 * g, 3, 4);
    }
    QTRY_COMPARE(plot.plot()->graph(0)->dataCount(), 3);
    QVERIFY(!plot.layerGraph(1));
    plot.compareToggle()->click(); // as a user does
    QVERIFY(plot.compareLayers());
    QTRY_VERIFY(plot.layerGraph(4) != nullptr);
    const QCPGraph* one = plot.layerGraph(1);
    const QCPGraph* four = plot.layerGraph(4);
    QVERIFY(one && four);
    QCOMPARE(four->dataCount(), 3);
    QCOMPARE(one->data()->at(2)->value, 160.0 / 200.0);
    QCOMPARE(four->data()->at(1)->value, 1.5 / 2.0);
    QCOMPARE(four->data()->at(2)->value, 0.5);
    QVERIFY(one->pen().widthF() > four->pen().widthF()); // the selected layer stands out
    QVERIFY(!plot.plot()->graph(0)->visible());
    QCOMPARE(plot.plot()->legend->itemCount(), 1); // the selected layer; the curves carry end labels
    QCOMPARE(plot.layerGraph(1)->name(), QStringLiteral("layer 1 (selected)"));
    QVERIFY(plot.layerLabel(4) && plot.layerLabel(1));
    QCOMPARE(plot.layerLabel(4)->text(), QStringLiteral("4"));
    QCOMPARE(plot.layerLabel(4)->position->value(), 0.5); // at the curve's last point
    QVERIFY(plot.layerLabel(1)->font().bold() && !plot.layerLabel(4)->font().bold());
    plot.addPoint(4, 3, 0.2, 3, 4); // a new generation arrives while comparing
    QTRY_COMPARE(plot.layerGraph(4)->dataCount(), 4);
    QCOMPARE(plot.layerGraph(4)->data()->at(3)->value, 0.1);
    plot.compareToggle()->click();
    QTRY_VERIFY(plot.plot()->graph(0)->visible());
    QVERIFY(!plot.layerGraph(4) && !plot.layerLabel(4));
    QCOMPARE(plot.plot()->legend->itemCount(), 3); // best, mean, worst
    QCOMPARE(plot.plot()->graph(0)->data()->at(2)->value, 160.0);
    plot.clear();
    plot.setCompareLayers(true);
    QTRY_VERIFY(!plot.layerGraph(1));
}

// In a dock narrower than its title the title wraps onto more lines inside the plot instead of being
// clipped at both ends; in a wide plot it keeps one line.
void TestViews::narrowPlotWrapsTitle()
{
    ConvergencePlot plot;
    plot.show(); // a hidden widget defers its resize events, and the plot lays out on them
    plot.showLayer(1);
    for (int g = 0; g < 25; ++g)
        plot.addPoint(1, g, 3.0, 4.0, 5.0);
    auto* title = qobject_cast<QCPTextElement*>(plot.plot()->plotLayout()->element(0, 0));
    QVERIFY(title);
    QTRY_VERIFY(title->text().contains(QStringLiteral("25"))); // after the coalesced redraw
    const QFontMetrics metrics(title->font());
    const int oneLine = metrics.horizontalAdvance(title->text());
    const int lineHeight = metrics.height();
    plot.resize(oneLine / 2 + 40, 300);
    plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY2(title->outerRect().width() <= plot.plot()->width(),
        qPrintable(QStringLiteral("title %1 px wide in a %2 px plot").arg(title->outerRect().width()).arg(plot.plot()->width())));
    QVERIFY(title->rect().height() >= 2 * lineHeight); // wrapped: two lines or more
    plot.resize(oneLine + 200, 300);
    plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(title->rect().height() < 2 * lineHeight);
}

void TestViews::blockTableRows()
{
    BlockTable table;
    table.addBlock({0, 1, 2}, {0, 2, 0}, 1.5, 2.25, 27);
    table.addBlock({3}, {0}, INFINITY, 0.5, 3);
    QCOMPARE(table.rowCount(), 2);
    QCOMPARE(table.item(0, 1)->text(), QStringLiteral("0, 1, 2"));
    QCOMPARE(table.item(0, 2)->text(), QStringLiteral("0, 2, 0"));
    QCOMPARE(table.item(0, 3)->text(), QStringLiteral("1.5000"));
    QCOMPARE(table.item(1, 3)->text(), QStringLiteral("\u2013"));
    QCOMPARE(table.item(1, 5)->text(), QStringLiteral("3"));
    table.clearBlocks();
    QCOMPARE(table.rowCount(), 0);
}

void TestViews::repaintsAreCoalesced()
{
    HeatmapView view;
    view.resize(400, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.reset({"a", "b"}, 4, "m");
    QSignalSpy replots(view.plot(), &QCustomPlot::afterReplot);
    QTRY_VERIFY(replots.count() >= 1);
    replots.clear();
    for (int i = 0; i < 200; ++i) // a burst of rows within one timer period: one replot
        view.setRow(i % 2, {double(i), 1, 2, 3});
    QTRY_VERIFY(replots.count() >= 1);
    QVERIFY2(replots.count() <= 2, qPrintable(QString::number(replots.count())));
}

// LossCurve: a named held-out loss gets a legend entry and a point per evaluation (step 0 may come
// last, as Recover posts it after training), sorted by step; without a name (an LM run) the values
// are not drawn. The kept marker says its step, its label stays inside the axis rect at either end,
// and start() removes it.
void TestViews::lossCurveHeldOutLossAndKeptStep()
{
    const double nan = std::nan("");
    LossCurve curve;
    curve.resize(600, 300);
    curve.show();
    QVERIFY(QTest::qWaitForWindowExposed(&curve));
    curve.start(QStringLiteral("distill"), 4, QStringLiteral("Distillation loss (nats)"), QStringLiteral("held-out"));
    QCOMPARE(curve.plot()->legend->itemCount(), 3);
    for (long long step = 1; step <= 4; ++step)
        curve.addPoint(step, 1.0 + 0.1 * double(step), step % 2 == 0 ? 40.0 : nan, step % 2 == 0 ? 0.5 / double(step) : nan);
    curve.addPoint(0, nan, 45.0, 0.9);
    QCOMPARE(curve.lossPoints(), 4);
    QCOMPARE(curve.perplexityPoints(), 3);
    QCOMPARE(curve.heldOutLoss(), (QVector<QPointF>{{0, 0.9}, {2, 0.25}, {4, 0.125}}));
    QCOMPARE(curve.keptStep(), -1LL);
    QVERIFY(curve.keptLabel().isEmpty());
    auto* text = qobject_cast<QCPItemText*>(curve.plot()->item(1));
    QVERIFY(text);
    for (long long kept : {0LL, 2LL, 4LL}) {
        curve.markKept(kept);
        QCOMPARE(curve.keptStep(), kept);
        QCOMPARE(curve.keptLabel(), QStringLiteral("kept: step %1").arg(kept));
        curve.plot()->replot(QCustomPlot::rpImmediateRefresh);
        const QRect rect = curve.plot()->axisRect()->rect();
        QVERIFY(text->visible());
        QVERIFY2(text->topLeft->pixelPosition().x() >= rect.left() - 1 && text->bottomRight->pixelPosition().x() <= rect.right() + 1,
            qPrintable(QStringLiteral("kept %1: label %2..%3 in %4..%5").arg(kept).arg(text->topLeft->pixelPosition().x())
                    .arg(text->bottomRight->pixelPosition().x()).arg(rect.left()).arg(rect.right())));
    }

    curve.start(QStringLiteral("lm"), 4, QStringLiteral("Cross-entropy loss (nats)"));
    QCOMPARE(curve.keptStep(), -1LL);
    QVERIFY(!text->visible());
    QCOMPARE(curve.plot()->legend->itemCount(), 2);
    curve.addPoint(2, 3.0, 20.0, std::log(20.0));
    QVERIFY(curve.heldOutLoss().isEmpty());
    QCOMPARE(curve.perplexityPoints(), 1);
}

QTEST_MAIN(TestViews)
#include "tst_views.moc"
