// Preferences (language, threads, compute device, default calibration settings, what Apply & evaluate
// measures on) and the other
// things the workbench remembers between runs through QSettings: the window layout, recent models
// (main_window_actions.cpp) and the last run parameters.
#pragma once
#include "app/gui/job_types.h"

#include <QString>

class QMainWindow;

namespace moewb::gui {

struct Preferences {
    QString language = QStringLiteral("system"); // "system" or a code from i18n.h
    int threads = 0; // LibTorch intra-op threads; 0: every core
    QString device = QStringLiteral("cpu"); // "cpu", "cuda:N"
    // Defaults of a new run's calibration (Parameters ▸ Reset to defaults starts from these).
    QString calibrationPath;
    int samples = 16;
    int sequenceLength = 128;
    quint64 calibrationSeed = 0;
    // Run ▸ Apply & evaluate: held-out text, its windows, the multiple-choice tasks.
    EvalSettings evaluation;

    static Preferences load();
    void save() const;
    // Run parameters with this calibration and device and everything else at its default.
    RunSettings defaultRunSettings() const;
};

// The last parameters the user ran with (absent: the preferences' defaults).
RunSettings loadLastRunSettings(const Preferences& preferences);
void saveLastRunSettings(const RunSettings& settings);

void saveWindowLayout(const QMainWindow& window);
bool restoreWindowLayout(QMainWindow& window);

} // namespace moewb::gui
