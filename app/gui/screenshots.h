// Saves PNG images of the main window and of each view (for docs/screenshots, regenerated with
// `moe-workbench MODEL --run-all --screenshots DIR`).
#pragma once
#include <QString>
#include <QStringList>

namespace moewb::gui {

class MainWindow;

// Writes window.png, heatmap.png, layers.png, convergence.png, blocks.png, model.png, parameters.png,
// compare.png, ranks.png, preferences.png, export.png and last recover-distill.png (the Recover tab
// after a 30-step distillation run of the session's plan, which adds '<plan>-lora' to the session)
// into `directory`; returns the files written.
QStringList saveScreenshots(MainWindow& window, const QString& directory);

// screenshots_export.cpp: export.png, the export dialog after writing the session's plan to a
// temporary folder (report and verification shown); returns the file, or empty when not written.
QString saveExportScreenshot(MainWindow& window, const QString& directory);

} // namespace moewb::gui
