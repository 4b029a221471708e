#include "app/gui/screenshots.h"

#include "app/gui/main_window.h"
#include "app/gui/model_tree.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/preferences_dialog.h"
#include "app/gui/recover_panel.h"
#include "app/gui/worker.h"
#include "widgets/block_table.h"
#include "widgets/compare_view.h"
#include "widgets/rank_editor.h"
#include "widgets/convergence_plot.h"
#include "widgets/importance_panel.h"
#include "widgets/layer_bar_chart.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QEventLoop>
#include <QPixmap>
#include <QTabWidget>
#include <QTimer>

namespace moewb::gui {

namespace {

// The Recover tab after a short distillation run (T 2, weight 1) of the session's plan: the form
// with Distillation chosen, the curve with the held-out distillation loss and the kept step. False
// when the run did not finish within 10 minutes.
bool runRecoverByDistillation(MainWindow& window)
{
    RecoverPanel* recover = window.recoverPanel();
    RecoverSettings distill;
    distill.plan = recover->settings().plan;
    distill.objective = QStringLiteral("distill");
    distill.temperature = 2.0;
    distill.steps = 30;
    distill.lr = 2e-3;
    distill.sequenceLength = 64;
    distill.evalEvery = 5;
    distill.evalBlocks = 8;
    recover->setSettings(distill);
    QEventLoop loop;
    bool finished = false;
    int job = 0;
    const auto ended = [&](int j, bool ok) {
        if (j == job) {
            finished = ok;
            loop.quit();
        }
    };
    QObject::connect(window.worker(), &Worker::jobFinished, &loop, [&](int j) { ended(j, true); });
    QObject::connect(window.worker(), &Worker::jobCancelled, &loop, [&](int j) { ended(j, false); });
    QObject::connect(window.worker(), &Worker::jobFailed, &loop, [&](int j, const QString&) { ended(j, false); });
    QTimer::singleShot(600000, &loop, &QEventLoop::quit);
    job = window.recover(distill);
    if (job != 0)
        loop.exec();
    recover->setSettings(distill); // the form shows the plan that ran, not the '-lora' one it stored
    QTimer::singleShot(500, &loop, &QEventLoop::quit); // the coalesced replots land
    loop.exec();
    return finished;
}

// Hides the docks shown beside the central tabs (not floating ones) and returns them, to show again.
QList<QDockWidget*> hideDockedDocks(MainWindow& window)
{
    QList<QDockWidget*> hidden;
    for (auto* dock : window.findChildren<QDockWidget*>())
        if (dock->isVisible() && !dock->isFloating()) {
            dock->hide();
            hidden << dock;
        }
    return hidden;
}

} // namespace

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
            dock->resize(440, 1100); // every group and the whole count table without scrolling
            QApplication::processEvents();
            save(window.parameters(), QStringLiteral("parameters.png"));
            dock->setFloating(false);
        }
    window.setRunSettings(before);
    save(window.importance(), QStringLiteral("heatmap.png"));
    save(window.layerChart(), QStringLiteral("layers.png"));
    save(window.convergence(), QStringLiteral("convergence.png"));
    window.convergence()->setCompareLayers(true); // every layer against its generation 0
    {
        QEventLoop settle;
        QTimer::singleShot(200, &settle, &QEventLoop::quit); // the coalesced redraw (at most 25 a second)
        settle.exec();
    }
    save(window.convergence(), QStringLiteral("convergence-layers.png"));
    window.convergence()->setCompareLayers(false);
    save(window.blockTable(), QStringLiteral("blocks.png"));
    raise(window.modelTree());
    save(window.modelTree(), QStringLiteral("model.png"));
    raise(window.parameters());
    // The Compare and Ranks tabs with the docks hidden: the whole window's width for their tables.
    QList<QDockWidget*> hidden = hideDockedDocks(window);
    window.centralTabs()->setCurrentWidget(window.compareView());
    QApplication::processEvents();
    save(window.compareView(), QStringLiteral("compare.png"));
    window.centralTabs()->setCurrentWidget(window.rankEditor());
    QApplication::processEvents();
    save(window.rankEditor(), QStringLiteral("ranks.png"));
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
    // Last, as it adds '<plan>-lora' to the session (the pictures above show the session without it).
    hidden = hideDockedDocks(window);
    if (runRecoverByDistillation(window))
        save(window.recoverPanel(), QStringLiteral("recover-distill.png"));
    for (auto* dock : hidden)
        dock->show();
    window.centralTabs()->setCurrentWidget(window.importance());
    return written;
}

} // namespace moewb::gui
