// Helpers shared by the Qt tests that drive the workbench's worker: demo file paths and waiting for a
// worker job to finish (false when it failed, was never started, or ran past `ms`).
#pragma once
#include "app/gui/main_window.h"
#include "app/gui/worker.h"
#include "support/paths.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QString>

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

} // namespace moewb::test
