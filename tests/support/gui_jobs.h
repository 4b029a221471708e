// Helpers shared by the Qt tests that drive the workbench's worker: demo file paths, opening a demo
// model, tiny run settings on the demo calibration text, waiting for a worker job to finish (false
// when it failed, was never started, or ran past `ms`), cancelling a fine-tuning at its first step,
// the Compare view's variant names, and a tab's screenshot for docs/.
#pragma once
#include "app/gui/main_window.h"
#include "app/gui/worker.h"
#include "support/paths.h"
#include "widgets/compare_view.h"

#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QString>
#include <QTabWidget>
#include <QTest>
#include <functional>

// In a test function: skips it when the demo model `model` ("qwen", "mixtral", "deepseek") is missing.
#define MOEWB_REQUIRE_DEMO_MODEL(model)                                                                      \
    do {                                                                                                     \
        if (!QFileInfo::exists(moewb::test::demo("models/" model "/config.json")))                           \
            QSKIP("the " model " demo model is not there");                                                  \
    } while (false)

namespace moewb::test {

inline QString demo(const char* name)
{
    return QString::fromStdString((sourceDir() / "resources/demo" / name).string());
}

inline bool waitForJob(moewb::gui::MainWindow& w, int job, int ms = 300000)
{
    if (job <= 0)
        return false;
    QSignalSpy finished(w.worker(), &moewb::gui::Worker::jobFinished);
    QSignalSpy failed(w.worker(), &moewb::gui::Worker::jobFailed);
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < ms) {
        for (const auto& args : finished)
            if (args.at(0).toInt() == job)
                return true;
        for (const auto& args : failed)
            if (args.at(0).toInt() == job) {
                qWarning("job failed: %s", qPrintable(args.at(1).toString()));
                return false;
            }
        finished.wait(500);
    }
    return false;
}

// Opens resources/demo/models/<model> in `w`; false when the job failed.
inline bool openDemoModel(moewb::gui::MainWindow& w, const char* model)
{
    return waitForJob(w, w.openModel(demo((std::string("models/") + model).c_str())));
}

// Run settings for `method` on the demo calibration text, `samples` blocks of `sequenceLength` tokens.
inline moewb::gui::RunSettings demoRun(const QString& method, int samples, int sequenceLength)
{
    moewb::gui::RunSettings s;
    s.method = method;
    s.calibrationPath = demo("calib.txt");
    s.samples = samples;
    s.sequenceLength = sequenceLength;
    return s;
}

// Starts a fine-tuning job with `start`, waits for its first loss point and cancels it. Returns the
// milliseconds from the request to the job's jobCancelled, or -1 (with a warning) when the job did
// not start, sent no point within 120 s, or was not the one cancelled within 10 s.
inline qint64 cancelAtFirstLossPoint(moewb::gui::MainWindow& w, const std::function<int()>& start)
{
    QSignalSpy points(w.worker(), &moewb::gui::Worker::lossPointReady);
    QSignalSpy cancelled(w.worker(), &moewb::gui::Worker::jobCancelled);
    const int job = start();
    if (job <= 0 || !points.wait(120000)) { // the first step
        qWarning("job %d: no loss point", job);
        return -1;
    }
    QElapsedTimer clock;
    clock.start();
    w.cancel();
    if (!cancelled.wait(10000) || cancelled.back().at(0).toInt() != job) {
        qWarning("job %d: not cancelled", job);
        return -1;
    }
    const qint64 ms = clock.elapsed();
    qInfo("cancelled %lld ms after the request, %d steps", static_cast<long long>(ms),
        static_cast<int>(points.size()));
    QCoreApplication::processEvents();
    return ms;
}

// Whether the Compare view lists a variant called `name`.
inline bool inCompare(moewb::gui::MainWindow& w, const QString& name)
{
    for (const auto& v : w.compareView()->variants())
        if (v.name == name)
            return true;
    return false;
}

// Saves `tab` of the central tabs as DIR/`file` (PNG) with the docks hidden, so the tab takes the
// window's width at `size`.
inline bool saveTabScreenshot(
    moewb::gui::MainWindow& w, QWidget* tab, QSize size, const QString& dir, const QString& file)
{
    for (auto* dock : w.findChildren<QDockWidget*>())
        dock->hide();
    w.resize(size);
    w.show();
    w.centralTabs()->setCurrentWidget(tab);
    QTest::qWait(300);
    return tab->grab().save(QDir(dir).filePath(file), "PNG", 0);
}

} // namespace moewb::test
