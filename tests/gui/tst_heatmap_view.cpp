// HeatmapView: rows fill independently, values and tooltips are exact, clicks map to cells.
#include "widgets/heatmap_view.h"

#include <qcustomplot.h>

#include <QSignalSpy>
#include <QTest>
#include <cmath>

using moewb::widgets::HeatmapView;

class TestHeatmapView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fillsRowByRow();
    void tooltipNamesLayerExpertAndValue();
    void clickSelectsCell();
    void ignoresOutOfRangeRows();
};

void TestHeatmapView::fillsRowByRow()
{
    HeatmapView view;
    view.reset({"layer 0", "layer 1", "layer 2"}, 4, "loss");
    QCOMPARE(view.rows(), 3);
    QCOMPARE(view.columns(), 4);
    QCOMPARE(view.filledRows(), 0);
    QVERIFY(std::isnan(view.value(1, 2)));
    view.setRow(1, {0.5, 1.5, 2.5, 3.5});
    QCOMPARE(view.filledRows(), 1);
    QCOMPARE(view.value(1, 2), 2.5);
    QVERIFY(std::isnan(view.value(0, 2)));
    view.setRow(0, {1, 2, 3, 4});
    QCOMPARE(view.filledRows(), 2);
}

void TestHeatmapView::tooltipNamesLayerExpertAndValue()
{
    HeatmapView view;
    view.reset({"layer 0", "layer 1"}, 2, "removal loss");
    view.setRow(1, {0.25, 0.125});
    const QString text = view.cellText(1, 1);
    QVERIFY2(text.contains("layer 1") && text.contains("expert 1") && text.contains("0.125"), qPrintable(text));
    QVERIFY(view.cellText(0, 0).contains("not computed"));
    view.setMarked({{1, 0}});
    QVERIFY(view.cellText(1, 0).contains("removed"));
    QVERIFY(!view.cellText(1, 1).contains("removed"));
}

void TestHeatmapView::clickSelectsCell()
{
    HeatmapView view;
    view.resize(600, 400);
    view.reset({"a", "b", "c"}, 5, "m");
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.plot()->replot();
    QSignalSpy spy(&view, &HeatmapView::cellClicked);
    auto* plot = view.plot();
    const QPoint pos(int(plot->xAxis->coordToPixel(3)), int(plot->yAxis->coordToPixel(2)));
    QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, pos);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 2);
    QCOMPARE(spy.at(0).at(1).toInt(), 3);
}

void TestHeatmapView::ignoresOutOfRangeRows()
{
    HeatmapView view;
    view.reset({"a"}, 2, "m");
    view.setRow(5, {1, 2});
    view.setRow(-1, {1, 2});
    QCOMPARE(view.filledRows(), 0);
}

QTEST_MAIN(TestHeatmapView)
#include "tst_heatmap_view.moc"
