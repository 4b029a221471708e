// The Parameters dock: validation cases (K^T too large, a count leaving fewer experts than top-k, a
// ratio no allocation can meet, a rank at or above break-even), overrides highlighted and reset in
// the count table, and stage invalidation on the Mixtral demo model read from core's compute
// counters: changing T re-runs only the KT block search, changing the ratio re-runs the allocation
// and both searches but neither the calibration pass nor the importance.
#include "app/gui/main_window.h"
#include "app/gui/parameter_checks.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/worker.h"
#include "core/pipeline/compute_counter.h"
#include "support/paths.h"
#include "widgets/block_table.h"
#include "widgets/pruning_count_table.h"

#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QToolButton>

using moewb::gui::ModelSummary;
using moewb::gui::ParameterIssue;
using moewb::gui::RunSettings;

namespace {

// The KT table's text, row by row (layers, chosen candidates, losses).
QStringList blockRows(const moewb::widgets::BlockTable& table)
{
    QStringList rows;
    for (int r = 0; r < table.rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < table.columnCount(); ++c)
            cells << (table.item(r, c) ? table.item(r, c)->text() : QString());
        rows << cells.join(QLatin1Char('|'));
    }
    return rows;
}

// Three MoE layers (0, 2, 3) of 8 experts routed top-2 and a dense layer 1, as the dock sees a model.
ModelSummary fakeModel()
{
    ModelSummary m;
    m.path = QStringLiteral("/fake");
    for (int i = 0; i < 4; ++i) {
        moewb::gui::LayerNode layer;
        layer.index = i;
        layer.moe = i != 1;
        if (layer.moe) {
            layer.topK = 2;
            layer.experts.resize(8);
            m.moeLayers.push_back(i);
        }
        m.layers.push_back(layer);
    }
    m.maxExperts = 8;
    return m;
}

bool hasIssue(const QList<ParameterIssue>& issues, const QString& field, ParameterIssue::Severity severity)
{
    for (const auto& i : issues)
        if (i.field == field && i.severity == severity)
            return true;
    return false;
}

QString mixtral()
{
    return QString::fromStdString((moewb::test::sourceDir() / "resources/demo/models/mixtral").string());
}

bool runAndWait(moewb::gui::MainWindow& w)
{
    QSignalSpy finished(w.worker(), &moewb::gui::Worker::jobFinished);
    const int job = w.runAll();
    if (job == 0)
        return false;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 300000) {
        for (const auto& args : finished)
            if (args.at(0).toInt() == job)
                return true;
        finished.wait(1000);
    }
    return false;
}

} // namespace

class TestParameters : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void validationCases();
    void rankBreakEven();
    void overridesHighlightedAndReset();
    void changingTOrRatioReRunsOnlyDependentStages();
};

void TestParameters::validationCases()
{
    const ModelSummary model = fakeModel();
    RunSettings s;
    QVERIFY(moewb::gui::checkParameters(s, model).isEmpty()); // defaults: K = T = 3, ratio 0.25

    QCOMPARE(moewb::gui::ktCombinations(3, 3), qint64(27));
    QCOMPARE(moewb::gui::ktCombinations(8, 4), qint64(4096));
    s.candidates = 8;
    s.blockSize = 4; // 4096: the limit itself is allowed; T > 3 MoE layers only warns
    auto issues = moewb::gui::checkParameters(s, model);
    QVERIFY(!hasIssue(issues, QStringLiteral("K"), ParameterIssue::Severity::Error));
    QVERIFY(hasIssue(issues, QStringLiteral("T"), ParameterIssue::Severity::Warning));
    QVERIFY(!moewb::gui::hasErrors(issues));
    s.candidates = 9; // 9^4 = 6561
    issues = moewb::gui::checkParameters(s, model);
    QVERIFY(hasIssue(issues, QStringLiteral("K"), ParameterIssue::Severity::Error));
    QVERIFY(issues.front().message.contains(QStringLiteral("6561")));
    QCOMPARE(moewb::gui::ktCombinations(64, 64), std::numeric_limits<qint64>::max());

    s = RunSettings{};
    s.countOverrides = {{0, 6}}; // 8 - 6 = 2 = top-k: allowed
    QVERIFY(moewb::gui::checkParameters(s, model).isEmpty());
    s.countOverrides = {{2, 7}}; // leaves 1 < top-2
    issues = moewb::gui::checkParameters(s, model);
    QVERIFY(hasIssue(issues, QStringLiteral("count:2"), ParameterIssue::Severity::Error));
    QVERIFY(issues.front().message.contains(QStringLiteral("at most 6")));
    s.countOverrides = {{0, -1}};
    QVERIFY(hasIssue(
        moewb::gui::checkParameters(s, model), QStringLiteral("count:0"), ParameterIssue::Severity::Error));

    s = RunSettings{};
    s.ratio = 0.75; // 18 of 24: exactly what three layers keeping top-2 can lose
    QVERIFY(moewb::gui::checkParameters(s, model).isEmpty());
    s.ratio = 0.8; // 19 of 24
    QVERIFY(hasIssue(
        moewb::gui::checkParameters(s, model), QStringLiteral("ratio"), ParameterIssue::Severity::Error));
}

void TestParameters::rankBreakEven()
{
    // r(m+n) >= m*n: 64x64 breaks even at 32; Mixtral-demo-like 128x352 at 480 r >= 45056, r >= 94.
    QVERIFY(!moewb::gui::rankAboveBreakEven(31, 64, 64));
    QVERIFY(moewb::gui::rankAboveBreakEven(32, 64, 64));
    QVERIFY(!moewb::gui::rankAboveBreakEven(93, 128, 352));
    QVERIFY(moewb::gui::rankAboveBreakEven(94, 128, 352));
    QVERIFY(moewb::gui::checkRank(3, 5, 93, 128, 352).isEmpty());
    const auto above = moewb::gui::checkRank(3, 5, 94, 128, 352);
    QCOMPARE(above.size(), 1);
    QCOMPARE(above.front().field, QStringLiteral("rank:3:5"));
    QVERIFY(above.front().message.contains(QStringLiteral("45120"))); // 94 * 480
    QVERIFY(above.front().message.contains(QStringLiteral("below 94")));
    QVERIFY(moewb::gui::hasErrors(moewb::gui::checkRank(3, 5, 0, 128, 352)));
}

void TestParameters::overridesHighlightedAndReset()
{
    moewb::gui::ParametersDock dock;
    dock.setModel(fakeModel());
    moewb::gui::AllocationInfo allocation;
    allocation.layers = {0, 2};
    allocation.counts = {1, 3};
    dock.setAllocation(allocation, false);
    auto* table = dock.countTable();
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->countAt(1), 3);
    QVERIFY(!table->isOverridden(1));

    QSignalSpy changed(&dock, &moewb::gui::ParametersDock::settingsChanged);
    table->item(1, 3)->setData(Qt::EditRole, 7); // as the user types 7 for layer 2
    QCOMPARE(changed.count(), 1);
    QCoreApplication::processEvents();
    QVERIFY(table->isOverridden(1));
    QVERIFY(table->isInvalid(1)); // 8 - 7 < 2
    QCOMPARE(table->item(1, 3)->background().color(), QColor(246, 180, 180));
    QVERIFY(table->item(1, 3)->font().bold());
    QCOMPARE(dock.settings().countOverrides, (std::map<int, int>{{2, 7}}));
    QVERIFY(!dock.runButton()->isEnabled());
    QVERIFY(dock.findChild<QLabel*>(QStringLiteral("problems"))->text().contains(QStringLiteral("Layer 2")));

    table->item(1, 3)->setData(Qt::EditRole, 5);
    QCoreApplication::processEvents();
    QVERIFY(table->isOverridden(1) && !table->isInvalid(1));
    QCOMPARE(table->item(1, 3)->background().color(), QColor(255, 226, 160));
    QVERIFY(dock.runButton()->isEnabled());
    QVERIFY(!table->isOverridden(0));
    QVERIFY(table->item(0, 3)->background().style() == Qt::NoBrush);

    auto* reset = qobject_cast<QToolButton*>(table->cellWidget(1, 4));
    QVERIFY(reset);
    reset->click();
    QVERIFY(!table->isOverridden(1));
    QCOMPARE(table->countAt(1), 3);
    QVERIFY(dock.settings().countOverrides.empty());
    QVERIFY(table->cellWidget(1, 4) == nullptr);
}

void TestParameters::changingTOrRatioReRunsOnlyDependentStages()
{
    if (!QFileInfo::exists(mixtral() + QStringLiteral("/config.json")))
        QSKIP("the Mixtral demo model is not there");
    moewb::gui::MainWindow w;
    RunSettings s;
    s.calibrationPath
        = QString::fromStdString((moewb::test::sourceDir() / "resources/demo/calib.txt").string());
    s.samples = 8;
    s.sequenceLength = 64;
    s.population = 16;
    s.generations = 6;
    s.forceGenetic = true;
    w.setRunSettings(s);
    QSignalSpy opened(w.worker(), &moewb::gui::Worker::modelOpened);
    w.openModel(mixtral());
    QVERIFY(opened.wait(60000));
    auto* dock = w.parameters();
    auto* nextRun = dock->findChild<QLabel*>(QStringLiteral("nextRun"));
    QVERIFY(nextRun->text().contains(QStringLiteral("every stage")));
    QVERIFY(runAndWait(w));
    QVERIFY(nextRun->text().contains(QStringLiteral("nothing to recompute")));
    QCOMPARE(w.blockTable()->rowCount(), 2); // 6 MoE layers in blocks of 3

    // T: 3 -> 2. Only the KT block search runs again.
    moewb::resetComputeCounts();
    dock->findChild<QSpinBox*>(QStringLiteral("T"))->setValue(2);
    QCOMPARE(w.runSettings().blockSize, 2);
    QVERIFY(nextRun->text().contains(QStringLiteral("only the KT block search")));
    QVERIFY(runAndWait(w));
    QCOMPARE(moewb::computeCount("calibration"), uint64_t(0));
    QCOMPARE(moewb::computeCount("importance"), uint64_t(0));
    QCOMPARE(moewb::computeCount("allocation"), uint64_t(0));
    QCOMPARE(moewb::computeCount("fast_loss"), uint64_t(0));
    QCOMPARE(moewb::computeCount("genetic_search"), uint64_t(0));
    QCOMPARE(moewb::computeCount("block_search"), uint64_t(1));
    QCOMPARE(w.blockTable()->rowCount(), 3); // blocks of 2
    // The cached genetic search gives what a fresh run with T = 2 gives.
    {
        moewb::gui::MainWindow fresh;
        fresh.setRunSettings(w.runSettings());
        QSignalSpy freshOpened(fresh.worker(), &moewb::gui::Worker::modelOpened);
        fresh.openModel(mixtral());
        QVERIFY(freshOpened.wait(60000));
        QVERIFY(runAndWait(fresh));
        QCOMPARE(blockRows(*fresh.blockTable()), blockRows(*w.blockTable()));
    }

    // Ratio: 0.25 -> 0.5. Allocation, fast losses for the new counts, both searches; no calibration.
    moewb::resetComputeCounts();
    dock->findChild<QDoubleSpinBox*>(QStringLiteral("ratio"))->setValue(0.5);
    QVERIFY(nextRun->text().contains(QStringLiteral("allocation, genetic search and KT block search")));
    QVERIFY(runAndWait(w));
    QCOMPARE(moewb::computeCount("calibration"), uint64_t(0));
    QCOMPARE(moewb::computeCount("importance"), uint64_t(0));
    QCOMPARE(moewb::computeCount("allocation"), uint64_t(1));
    QCOMPARE(moewb::computeCount("genetic_search"), uint64_t(1));
    QCOMPARE(moewb::computeCount("block_search"), uint64_t(1));
    int pruned = 0;
    for (int row = 0; row < dock->countTable()->rowCount(); ++row)
        pruned += dock->countTable()->countAt(row);
    QCOMPARE(pruned, 24); // half of 6 x 8 experts

    // The calibration sample count: everything again (one pass for importance, one for the search).
    moewb::resetComputeCounts();
    dock->findChild<QSpinBox*>(QStringLiteral("samples"))->setValue(6);
    QVERIFY(runAndWait(w));
    QCOMPARE(moewb::computeCount("calibration"), uint64_t(2));
    QCOMPARE(moewb::computeCount("importance"), uint64_t(1));
    QCOMPARE(moewb::computeCount("genetic_search"), uint64_t(1));
}

QTEST_MAIN(TestParameters)
#include "tst_parameters.moc"
