// Where the demo models and calibration text are: $MOEWB_DEMO_DIR, next to the running executable
// (<bin>/../share/moe-workbench/demo), the configured install prefix, or the source tree of a build.
#pragma once
#include <QString>
#include <QStringList>

namespace moewb::gui {

// The folders searched for the demo, in order (demo_paths.cpp says why this order).
QStringList demoDirectoryCandidates();
// The first candidate holding calib.txt or models/, or an empty string when none does.
QString demoDirectory();
// resources/demo/models/<name> when it exists, else empty. Names: "mixtral", "qwen", "deepseek".
QString demoModelPath(const QString& name);
QStringList demoModelNames();
// resources/demo/calib.txt when it exists, else empty.
QString demoCalibrationPath();
// A file of the demo folder ("eval.txt", "tasks.jsonl") when it exists, else empty.
QString demoFilePath(const QString& name);

} // namespace moewb::gui
