// The export dialog's picture for docs/screenshots (export.png): the session's plan written to a
// temporary folder, so the deployability report and the reload check's result are both shown.
#include "app/gui/export_dialog.h"
#include "app/gui/main_window.h"
#include "app/gui/screenshots.h"
#include "app/gui/worker.h"

#include <QApplication>
#include <QDir>
#include <QPushButton>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QTimer>

namespace moewb::gui {

QString saveExportScreenshot(MainWindow& window, const QString& directory)
{
    QTemporaryDir scratch;
    const QString folder = QDir(scratch.path()).filePath(
        (window.model().name.isEmpty() ? QStringLiteral("model") : window.model().name) + QStringLiteral("-compressed"));
    ExportDialog dialog(window.worker(), folder, &window);
    dialog.resize(760, 880);
    dialog.show();
    const auto waitFor = [&](auto signal) {
        QEventLoop loop;
        QObject::connect(&dialog, signal, &loop, &QEventLoop::quit);
        QTimer::singleShot(300000, &loop, &QEventLoop::quit);
        loop.exec();
    };
    waitFor(&ExportDialog::reportReady);
    if (dialog.exportButton()->isEnabled()) {
        dialog.startExport();
        waitFor(&ExportDialog::exportDone);
    }
    QApplication::processEvents();
    const QString path = QDir(directory).filePath(QStringLiteral("export.png"));
    return dialog.grab().save(path, "PNG", 0) ? path : QString();
}

} // namespace moewb::gui
