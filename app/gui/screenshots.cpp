#include "app/gui/screenshots.h"

#include "app/gui/main_window.h"
#include "app/gui/model_tree.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/preferences_dialog.h"
#include "app/gui/recover_panel.h"
#include "widgets/block_table.h"
#include "widgets/compare_view.h"
#include "widgets/rank_editor.h"
#include "widgets/convergence_plot.h"
#include "widgets/importance_panel.h"
#include "widgets/layer_bar_chart.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QPixmap>
#include <QTabWidget>

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
    // Docks that share a tab are raised before their picture is taken.
    const auto raise = [&](QWidget* content) {
        for (auto* dock : window.findChildren<QDockWidget*>())
            if (dock->widget() == content)
                dock->raise();
        QApplication::processEvents();
    };
    window.centralTabs()->setCurrentWidget(window.importance());
    raise(window.parameters());
    save(&window, QStringLiteral("window.png"));
    // The Parameters dock floated at full height, with two count overrides typed in: layer 0's
    // (allowed, amber) and one leaving layer 2 fewer experts than top-k (red, Run refused).
    const RunSettings before = window.runSettings();
    RunSettings edited = before;
    const auto& model = window.model();
    if (model.moeLayers.size() > 2) {
        const auto& layer2 = model.layers.at(static_cast<size_t>(model.moeLayers[2]));
        edited.countOverrides[model.moeLayers[0]] = 2;
        edited.countOverrides[model.moeLayers[2]] = static_cast<int>(layer2.experts.size()) - layer2.topK + 1;
    }
    window.setRunSettings(edited);
    for (auto* dock : window.findChildren<QDockWidget*>())
        if (dock->widget() == window.parameters()) {
            dock->setFloating(true);
            dock->resize(440, 1040);
            QApplication::processEvents();
            save(window.parameters(), QStringLiteral("parameters.png"));
            dock->setFloating(false);
        }
    window.setRunSettings(before);
    save(window.importance(), QStringLiteral("heatmap.png"));
    save(window.layerChart(), QStringLiteral("layers.png"));
    save(window.convergence(), QStringLiteral("convergence.png"));
    save(window.blockTable(), QStringLiteral("blocks.png"));
    raise(window.modelTree());
    save(window.modelTree(), QStringLiteral("model.png"));
    raise(window.parameters());
    // The Compare and Ranks tabs with the docks hidden: the whole window's width for their tables.
    QList<QDockWidget*> hidden;
    for (auto* dock : window.findChildren<QDockWidget*>())
        if (dock->isVisible() && !dock->isFloating()) {
            dock->hide();
            hidden << dock;
        }
    window.centralTabs()->setCurrentWidget(window.compareView());
    QApplication::processEvents();
    save(window.compareView(), QStringLiteral("compare.png"));
    window.centralTabs()->setCurrentWidget(window.rankEditor());
    QApplication::processEvents();
    save(window.rankEditor(), QStringLiteral("ranks.png"));
    // The Recover tab's form with Distillation chosen (default settings otherwise; nothing runs).
    RecoverPanel* recover = window.recoverPanel();
    const RecoverSettings recoverBefore = recover->settings();
    RecoverSettings distill;
    distill.plan = recoverBefore.plan;
    distill.objective = QStringLiteral("distill");
    distill.temperature = 2.0;
    recover->setSettings(distill);
    window.centralTabs()->setCurrentWidget(recover);
    QApplication::processEvents();
    save(recover, QStringLiteral("recover-distill.png"));
    recover->setSettings(recoverBefore);
    for (auto* dock : hidden)
        dock->show();
    window.centralTabs()->setCurrentWidget(window.importance());
    PreferencesDialog preferences(window.preferences(), &window);
    preferences.show();
    QApplication::processEvents();
    save(&preferences, QStringLiteral("preferences.png"));
    preferences.hide();
    if (const QString file = saveExportScreenshot(window, directory); !file.isEmpty())
        written << file;
    return written;
}

} // namespace moewb::gui
