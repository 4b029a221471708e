// moe-workbench: the Qt GUI.
#include "app/gui/main_window.h"
#include "core/util/runtime.h"

#include <QApplication>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("moe-workbench"));
    QApplication::setOrganizationName(QStringLiteral("MoE Workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("MoE Workbench"));
    moewb::initRuntime(0);

    moewb::gui::MainWindow window;
    window.show();
    return QApplication::exec();
}
