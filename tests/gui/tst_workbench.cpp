// The workbench end to end on the Mixtral-style demo model: the worker streams results live (not in a
// burst at the end), core callbacks run off the GUI thread, a run fills one heatmap row per MoE layer
// and one curve point per generation, a cancelled second run leaves the first run's results and a
// valid session, the event loop stays responsive during a run, core errors reach a dialog, and a
// session whose model moved says so and is kept when the same checkpoint is opened from its new place.
#include "app/gui/main_window.h"
#include "app/gui/model_tree.h"
#include "app/gui/worker.h"
#include "core/session/session.h"
#include "support/paths.h"
#include "widgets/block_table.h"
#include "widgets/convergence_plot.h"
#include "widgets/heatmap_view.h"
#include "widgets/importance_panel.h"
#include "widgets/layer_bar_chart.h"

#include <QElapsedTimer>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <cmath>

using moewb::gui::MainWindow;
using moewb::gui::RunSettings;
using moewb::gui::Worker;

namespace {

QString demoModel()
{
    return QString::fromStdString((moewb::test::sourceDir() / "resources/demo/models/mixtral").string());
}

// Small enough for a test: 8 blocks of 64 tokens, population 20, 10 generations (forced genetic, so
// the curves have one point per generation even where enumeration would be cheaper).
RunSettings smallSettings()
{
    RunSettings s;
    s.calibrationPath
        = QString::fromStdString((moewb::test::sourceDir() / "resources/demo/calib.txt").string());
    s.samples = 8;
    s.sequenceLength = 64;
    s.population = 20;
    s.generations = 10;
    s.forceGenetic = true;
    return s;
}

// Waits until `spy` has `count` signals (QSignalSpy::wait returns on the next one only).
bool waitFor(QSignalSpy& spy, int count, int ms = 120000)
{
    QElapsedTimer clock;
    clock.start();
    while (spy.count() < count)
        if (clock.elapsed() > ms || !spy.wait(static_cast<int>(std::max<qint64>(1, ms - clock.elapsed()))))
            return spy.count() >= count;
    return true;
}

// Opens the demo model and waits until that job has ended.
bool openDemo(MainWindow& w)
{
    QSignalSpy opened(w.worker(), &Worker::modelOpened);
    QSignalSpy finished(w.worker(), &Worker::jobFinished);
    w.openModel(demoModel());
    return waitFor(finished, 1, 60000) && opened.count() == 1;
}

// Generations a layer reports: G, or 1 where it loses no expert (nothing to search).
int expectedPoints(const MainWindow& w, int row, int generations)
{
    return w.layerChart()->count(row) > 0 ? generations : 1;
}

int totalPoints(const moewb::widgets::ConvergencePlot& plot)
{
    int n = 0;
    for (int layer : plot.layers())
        n += plot.points(layer);
    return n;
}

} // namespace

class TestWorkbench : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void liveNotBurstAndOffGuiThread();
    void endToEndThenCancelledSecondRun();
    void staysResponsiveDuringRun();
    void coreErrorShownInDialog();
    void movedModelKeepsItsSession();
};

void TestWorkbench::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // recent-files settings go to a test location
    if (!QFileInfo::exists(demoModel() + "/config.json"))
        QSKIP("the Mixtral demo model (resources/demo/models/mixtral) is not there");
}

void TestWorkbench::liveNotBurstAndOffGuiThread()
{
    MainWindow w;
    w.show();
    QVERIFY(openDemo(w));
    const int layers = static_cast<int>(w.model().moeLayers.size());
    QVERIFY(layers >= 2);
    Worker* worker = w.worker();
    worker->setPauseForTests(true);
    RunSettings s = smallSettings();
    s.recompute = true;
    w.setRunSettings(s);
    QSignalSpy paused(worker, &Worker::pausedForTest);
    QSignalSpy finished(worker, &Worker::jobFinished);
    w.runAll();

    // Paused after the first analysed layer: exactly that row is on the heatmap, nothing more.
    QVERIFY(waitFor(paused, 1));
    QCOMPARE(paused.at(0).at(0).toString(), QStringLiteral("analysis"));
    QCOMPARE(w.importance()->heatmap()->filledRows(), 1);
    QCOMPARE(totalPoints(*w.convergence()), 0);
    QVERIFY(worker->lastCallbackThread() != nullptr);
    QVERIFY(worker->lastCallbackThread() != QThread::currentThread());
    worker->resumeFromPause();

    // Paused after the first generation: at least one curve point, the search is still running.
    QVERIFY(waitFor(paused, 2));
    QCOMPARE(paused.at(1).at(0).toString(), QStringLiteral("search"));
    QCOMPARE(w.importance()->heatmap()->filledRows(), layers);
    QVERIFY(totalPoints(*w.convergence()) >= 1);
    QVERIFY(totalPoints(*w.convergence()) < layers * s.generations);
    QCOMPARE(w.blockTable()->rowCount(), 0);
    QCOMPARE(finished.count(), 0);
    QVERIFY(worker->lastCallbackThread() != QThread::currentThread());
    worker->resumeFromPause();

    QVERIFY(waitFor(finished, 1));
    int expected = 0;
    for (int i = 0; i < layers; ++i)
        expected += expectedPoints(w, i, s.generations);
    QCOMPARE(totalPoints(*w.convergence()), expected);
}

void TestWorkbench::endToEndThenCancelledSecondRun()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    MainWindow w;
    w.show();
    QVERIFY(openDemo(w));
    Worker* worker = w.worker();
    const auto& moeLayers = w.model().moeLayers;
    const int layers = static_cast<int>(moeLayers.size());
    const RunSettings s = smallSettings();
    w.setRunSettings(s);

    QSignalSpy finished(worker, &Worker::jobFinished);
    QSignalSpy failed(worker, &Worker::jobFailed);
    w.runAll();
    QVERIFY(waitFor(finished, 1));
    QCOMPARE(failed.count(), 0);

    // One heatmap row per MoE layer, one curve point per generation, counts and blocks.
    auto* heatmap = w.importance()->heatmap();
    QCOMPARE(heatmap->rows(), layers);
    QCOMPARE(heatmap->filledRows(), layers);
    int pruned = 0;
    for (int i = 0; i < layers; ++i) {
        QVERIFY(w.layerChart()->count(i) >= 0);
        pruned += w.layerChart()->count(i);
        QCOMPARE(
            w.convergence()->points(moeLayers[static_cast<size_t>(i)]), expectedPoints(w, i, s.generations));
        QVERIFY(!std::isnan(w.layerChart()->importance(i)));
    }
    QVERIFY(pruned > 0);
    QCOMPARE(heatmap->marked().size(), pruned); // every removed expert is marked
    QCOMPARE(w.blockTable()->rowCount(), (layers + s.blockSize - 1) / s.blockSize);

    const QString path = dir.filePath("first.h5");
    w.saveSessionAs(path);
    QVERIFY(waitFor(finished, 2));
    QCOMPARE(worker->sessionPath(), path);
    std::vector<double> firstRow;
    for (int c = 0; c < heatmap->columns(); ++c)
        firstRow.push_back(heatmap->value(0, c));
    const auto firstMarks = heatmap->marked();

    // A second run (another seed, analysis recomputed) cancelled after its first generation.
    RunSettings second = s;
    second.seed = 7;
    second.recompute = true;
    w.setRunSettings(second);
    QSignalSpy generations(worker, &Worker::generationReady);
    QSignalSpy cancelled(worker, &Worker::jobCancelled);
    w.runAll();
    QVERIFY(waitFor(generations, 1));
    QElapsedTimer clock;
    clock.start();
    w.cancel();
    QVERIFY(waitFor(cancelled, 1, 1000));
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString("cancel took %1 ms").arg(clock.elapsed())));
    QVERIFY(!worker->busy());
    QCOMPARE(finished.count(), 2); // the first run and the save; the second run never finished

    // The views show the first run again, and the session on disk is valid and holds it.
    QCOMPARE(heatmap->filledRows(), layers);
    for (int c = 0; c < heatmap->columns(); ++c)
        QCOMPARE(heatmap->value(0, c), firstRow[static_cast<size_t>(c)]);
    QCOMPARE(heatmap->marked(), firstMarks);
    for (int i = 0; i < layers; ++i)
        QCOMPARE(
            w.convergence()->points(moeLayers[static_cast<size_t>(i)]), expectedPoints(w, i, s.generations));
    const moewb::Session session = moewb::Session::open(path.toStdString());
    QCOMPARE(static_cast<int>(session.searches().size()), layers);
    for (const auto& [layer, search] : session.searches()) {
        QCOMPARE(static_cast<int>(search.bestFitness.size()), search.pruneCount > 0 ? s.generations : 1);
        QCOMPARE(search.parameters.value("seed", uint64_t(99)), uint64_t(0)); // the first run's seed
    }
    QVERIFY(session.plans().count("moe-i2-search") == 1);
    // Stored as the CLI's search stores it: the parameters that decide the result, the per-layer
    // counts, and the genetic search's own choice beside the KT plan.
    const auto& searched = session.plans().at("moe-i2-search").plan.parameters;
    QCOMPARE(searched.value("K", -1), s.candidates);
    QCOMPARE(searched.value("T", -1), s.blockSize);
    QCOMPARE(searched.value("population", -1), s.population);
    QCOMPARE(searched.value("selection", std::string()), std::string("kt"));
    QCOMPARE(searched.value("ratio", -1.0), s.ratio);
    QVERIFY(!searched.value("calibration_hash", std::string()).empty());
    QCOMPARE(static_cast<int>(searched.at("counts").size()), layers);
    QVERIFY(session.plans().count("moe-i2-search-ga") == 1);
    QCOMPARE(session.plans().at("moe-i2-search-ga").plan.parameters.value("selection", std::string()),
        std::string("genetic"));
    QVERIFY(session.importance().has_value());

    // Reopened in a fresh window: the model comes back with it and every view is filled, nothing recomputed.
    MainWindow reopened;
    QSignalSpy reopenedDone(reopened.worker(), &Worker::jobFinished);
    reopened.openSession(path);
    QVERIFY(waitFor(reopenedDone, 1));
    QCOMPARE(reopened.model().moeLayers, w.model().moeLayers);
    QCOMPARE(reopened.importance()->heatmap()->filledRows(), layers);
    for (int c = 0; c < heatmap->columns(); ++c)
        QCOMPARE(reopened.importance()->heatmap()->value(0, c), firstRow[static_cast<size_t>(c)]);
    QCOMPARE(reopened.importance()->heatmap()->marked(), firstMarks);
    QCOMPARE(reopened.blockTable()->rowCount(), w.blockTable()->rowCount());
    for (int i = 0; i < layers; ++i) {
        QCOMPARE(reopened.layerChart()->count(i), w.layerChart()->count(i));
        QCOMPARE(reopened.convergence()->points(moeLayers[static_cast<size_t>(i)]),
            expectedPoints(w, i, s.generations));
    }
    QCOMPARE(reopened.worker()->sessionPath(), path);
}

void TestWorkbench::staysResponsiveDuringRun()
{
    MainWindow w;
    w.show();
    QVERIFY(openDemo(w));
    RunSettings s = smallSettings();
    s.recompute = true;
    w.setRunSettings(s);
    QSignalSpy finished(w.worker(), &Worker::jobFinished);
    QElapsedTimer gap;
    qint64 worst = 0;
    int ticks = 0;
    QTimer probe;
    probe.setInterval(10);
    connect(&probe, &QTimer::timeout, this, [&] {
        worst = std::max(worst, gap.restart());
        ++ticks;
    });
    w.runAll();
    gap.start();
    probe.start();
    QVERIFY(waitFor(finished, 1));
    probe.stop();
    QVERIFY(ticks > 10);
    QVERIFY2(worst < 100, qPrintable(QString("the event loop stalled for %1 ms").arg(worst)));
}

void TestWorkbench::coreErrorShownInDialog()
{
    MainWindow w;
    w.show();
    QSignalSpy failed(w.worker(), &Worker::jobFailed);
    w.openModel(QStringLiteral("/nonexistent/moewb-model"));
    QVERIFY(waitFor(failed, 1, 30000));
    const QString message = failed.at(0).at(1).toString();
    QVERIFY2(message.contains("moewb-model"), qPrintable(message));
    QCOMPARE(w.lastError(), message);
    bool shown = false;
    for (auto* box : w.findChildren<QMessageBox*>())
        shown |= box->isVisible() && box->informativeText() == message;
    QVERIFY(shown);
    // A run without a model fails with a message too, not a crash.
    w.runAll();
    QVERIFY(waitFor(failed, 2, 30000));
    QVERIFY(failed.at(1).at(1).toString().contains("no model"));
}


void TestWorkbench::movedModelKeepsItsSession()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString first = dir.filePath(QStringLiteral("first")), moved = dir.filePath(QStringLiteral("moved"));
    QVERIFY(QDir().mkpath(first));
    for (const QString& name : QDir(demoModel()).entryList(QDir::Files))
        QVERIFY(QFile::copy(demoModel() + QLatin1Char('/') + name, first + QLatin1Char('/') + name));
    const QString sessionPath = dir.filePath(QStringLiteral("s.h5"));
    std::vector<double> row;
    {
        MainWindow w;
        QSignalSpy finished(w.worker(), &Worker::jobFinished);
        w.openModel(first);
        QVERIFY(waitFor(finished, 1));
        w.setRunSettings(smallSettings());
        w.runAnalysis();
        QVERIFY(waitFor(finished, 2));
        w.saveSessionAs(sessionPath);
        QVERIFY(waitFor(finished, 3));
        for (int c = 0; c < w.importance()->heatmap()->columns(); ++c)
            row.push_back(w.importance()->heatmap()->value(0, c));
    }
    QVERIFY(!row.empty());
    QVERIFY(QDir().rename(first, moved));

    MainWindow w;
    QSignalSpy finished(w.worker(), &Worker::jobFinished);
    w.openSession(sessionPath);
    QVERIFY(waitFor(finished, 1));
    QVERIFY2(w.lastNotice().contains(first) && w.lastNotice().contains(QStringLiteral("not there")),
        qPrintable(w.lastNotice()));
    QCOMPARE(w.importance()->heatmap()->filledRows(), w.importance()->heatmap()->rows()); // the session's views
    w.openModel(moved); // the same checkpoint elsewhere: the session stays, and names the new folder
    QVERIFY(waitFor(finished, 2));
    QCOMPARE(w.worker()->sessionPath(), sessionPath);
    for (int c = 0; c < static_cast<int>(row.size()); ++c)
        QCOMPARE(w.importance()->heatmap()->value(0, c), row[static_cast<size_t>(c)]);
    w.saveSessionAs(sessionPath);
    QVERIFY(waitFor(finished, 3));
    const moewb::Session session = moewb::Session::open(sessionPath.toStdString());
    QVERIFY(session.source().has_value());
    QCOMPARE(QString::fromStdString(session.source()->path.string()), QDir(moved).absolutePath());
    QVERIFY(session.importance().has_value());

    // Another checkpoint still starts a new session.
    w.openModel(QString::fromStdString((moewb::test::sourceDir() / "resources/demo/models/qwen").string()));
    QVERIFY(waitFor(finished, 4));
    QVERIFY(w.worker()->sessionPath().isEmpty());
}

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
