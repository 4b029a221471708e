// The workbench's main window: menus, docks and views. Later issues fill the docks and the worker.
#pragma once
#include <QMainWindow>

namespace moewb::widgets { class HeatmapView; }

namespace moewb::gui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

private:
    void createMenus();
    void showAbout();

    widgets::HeatmapView* m_heatmap = nullptr;
};

} // namespace moewb::gui
