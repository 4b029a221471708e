#include "app/gui/main_window.h"

#include "core/io/version.h"
#include "widgets/heatmap_view.h"

#include <QApplication>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

namespace moewb::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("MoE Workbench"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/moe-workbench.svg")));
    m_heatmap = new widgets::HeatmapView(this);
    m_heatmap->reset({}, 0, tr("Expert removal loss"));
    setCentralWidget(m_heatmap);
    createMenus();
    statusBar()->showMessage(tr("Open a checkpoint or a demo model to begin."));
    resize(1100, 720);
}

void MainWindow::createMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About MoE Workbench"), this, &MainWindow::showAbout);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About MoE Workbench"),
                       tr("<h3>MoE Workbench %1</h3>"
                          "<p>Analyse, compress, evaluate and export Mixture-of-Experts language "
                          "models: MoE-I\u00b2, expert/layer/block drop and CD-MoE condensing.</p>")
                           .arg(QString::fromLatin1(moewb::version())));
}

} // namespace moewb::gui
