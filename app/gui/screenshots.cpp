#include "app/gui/screenshots.h"

#include "app/gui/main_window.h"
#include "app/gui/model_tree.h"
#include "widgets/block_table.h"
#include "widgets/convergence_plot.h"
#include "widgets/importance_panel.h"
#include "widgets/layer_bar_chart.h"

#include <QDir>
#include <QPixmap>

namespace moewb::gui {

QStringList saveScreenshots(MainWindow& window, const QString& directory)
{
    QDir().mkpath(directory);
    QStringList written;
    const auto save = [&](QWidget* widget, const QString& name) {
        const QString path = QDir(directory).filePath(name);
        if (widget->grab().save(path, "PNG", 0)) // 0: smallest file (lossless either way)
            written << path;
    };
    save(&window, QStringLiteral("window.png"));
    save(window.importance(), QStringLiteral("heatmap.png"));
    save(window.layerChart(), QStringLiteral("layers.png"));
    save(window.convergence(), QStringLiteral("convergence.png"));
    save(window.blockTable(), QStringLiteral("blocks.png"));
    save(window.modelTree(), QStringLiteral("model.png"));
    return written;
}

} // namespace moewb::gui
