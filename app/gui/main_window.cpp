#include "app/gui/main_window.h"

#include "app/gui/method_form.h"
#include "app/gui/model_tree.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/status_panel.h"
#include "app/gui/worker.h"
#include "widgets/block_table.h"
#include "widgets/compare_view.h"
#include "widgets/convergence_plot.h"
#include "widgets/heatmap_view.h"
#include "widgets/importance_panel.h"
#include "widgets/layer_bar_chart.h"
#include "widgets/rank_editor.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>
#include <cmath>
#include <limits>

namespace moewb::gui {

using widgets::ImportancePanel;

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
{
    setWindowTitle(tr("MoE Workbench"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/moe-workbench.svg")));
    m_worker = new Worker(this);
    m_preferences = Preferences::load();
    m_evalSettings = m_preferences.evaluation;
    createViews();
    createMenus();
    connectWorker();
    statusBar()->showMessage(tr("Open a checkpoint or a demo model to begin."), 5000);
    resize(1360, 860);
    restoreWindowLayout(*this);
    setRunSettings(loadLastRunSettings(m_preferences));
    if (m_preferences.threads > 0)
        m_worker->setThreads(m_preferences.threads);
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveWindowLayout(*this);
    saveLastRunSettings(m_settings);
    QMainWindow::closeEvent(event);
}

void MainWindow::setRunSettings(const RunSettings& settings)
{
    m_settings = settings;
    m_parameters->setSettings(settings);
    m_ranks->setOverrides(settings.rankOverrides);
}

void MainWindow::createViews()
{
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_importance = new ImportancePanel(m_tabs);
    m_compare = new widgets::CompareView(m_tabs);
    m_tabs->addTab(m_importance, tr("Importance"));
    m_ranks = new widgets::RankEditor(m_tabs);
    m_tabs->addTab(m_ranks, tr("Ranks"));
    m_tabs->addTab(m_compare, tr("Compare"));
    setCentralWidget(m_tabs);
    createMethodViews();
    const auto dock
        = [this](const QString& title, const QString& name, QWidget* widget, Qt::DockWidgetArea area) {
              auto* d = new QDockWidget(title, this);
              d->setObjectName(name);
              d->setWidget(widget);
              addDockWidget(area, d);
              return d;
          };
    m_tree = new ModelTree(this);
    m_layerChart = new widgets::LayerBarChart(this);
    m_convergence = new widgets::ConvergencePlot(this);
    m_blockTable = new widgets::BlockTable(this);
    m_parameters = new ParametersDock(this);
    auto* treeDock = dock(tr("Model"), QStringLiteral("modelDock"), m_tree, Qt::LeftDockWidgetArea);
    auto* parametersDock
        = dock(tr("Parameters"), QStringLiteral("parametersDock"), m_parameters, Qt::LeftDockWidgetArea);
    tabifyDockWidget(treeDock, parametersDock);
    m_parameters->setMinimumWidth(400);
    parametersDock->raise();
    auto* chartDock
        = dock(tr("Layer importance"), QStringLiteral("layerDock"), m_layerChart, Qt::BottomDockWidgetArea);
    auto* curveDock = dock(
        tr("Search convergence"), QStringLiteral("convergenceDock"), m_convergence, Qt::RightDockWidgetArea);
    auto* blockDock
        = dock(tr("KT blocks"), QStringLiteral("blockDock"), m_blockTable, Qt::BottomDockWidgetArea);
    splitDockWidget(chartDock, blockDock, Qt::Horizontal);
    resizeDocks({treeDock, curveDock}, {380, 440}, Qt::Horizontal);
    resizeDocks({chartDock, blockDock}, {800, 560}, Qt::Horizontal);
    resizeDocks({chartDock}, {280}, Qt::Vertical);
    m_status = new StatusPanel(this);
    statusBar()->addPermanentWidget(m_status);
    m_status->setDevice(tr("none"));

    // Selections by the user (not by a run following the search) stick across runs.
    connect(m_tree, &ModelTree::layerSelected, this, [this](int layer, int expert) {
        m_userSelected = true;
        selectLayer(layer, expert);
    });
    connect(m_importance, &ImportancePanel::cellClicked, this, [this](int row, int column) {
        if (row >= 0 && row < static_cast<int>(m_model.moeLayers.size())) {
            m_userSelected = true;
            selectLayer(m_model.moeLayers[static_cast<size_t>(row)], column);
        }
    });
    connect(m_layerChart, &widgets::LayerBarChart::barClicked, this, [this](int index) {
        if (index >= 0 && index < static_cast<int>(m_model.moeLayers.size())) {
            m_userSelected = true;
            selectLayer(m_model.moeLayers[static_cast<size_t>(index)]);
        }
    });
    connect(m_status, &StatusPanel::cancelRequested, this, &MainWindow::cancel);
    connect(m_parameters, &ParametersDock::settingsChanged, this, [this](const RunSettings& s) {
        m_settings = s;
        m_settings.rankOverrides = m_ranks->overrides(); // the Ranks tab owns these
    });
    connect(m_parameters, &ParametersDock::runRequested, this, &MainWindow::runAll);
    connect(m_ranks, &widgets::RankEditor::overridesChanged, this,
        [this] { m_settings.rankOverrides = m_ranks->overrides(); });
    connect(m_parameters, &ParametersDock::resetRequested, this, [this] {
        RunSettings s = m_preferences.defaultRunSettings();
        s.countOverrides = m_settings.countOverrides;
        setRunSettings(s);
    });
}

void MainWindow::connectWorker()
{
    connect(m_worker, &Worker::jobStarted, this, [this](int, const QString& title) {
        m_status->setStage(title);
        onBusyChanged();
    });
    connect(m_worker, &Worker::stageChanged, m_status, &StatusPanel::setStage);
    connect(m_worker, &Worker::progressChanged, m_status, &StatusPanel::setProgress);
    connect(m_worker, &Worker::modelOpened, this, &MainWindow::onModelOpened);
    connect(m_worker, &Worker::analysisStarted, this, &MainWindow::onAnalysisStarted);
    connect(m_worker, &Worker::layerAnalyzed, this, &MainWindow::onLayerAnalyzed);
    connect(m_worker, &Worker::allocationReady, this, &MainWindow::onAllocation);
    connect(m_worker, &Worker::searchStarted, this, &MainWindow::onSearchStarted);
    connect(m_worker, &Worker::generationReady, this, [this](const GenerationPoint& p) {
        m_convergence->addPoint(p.layer, p.generation, p.best, p.mean, p.worst);
    });
    connect(m_worker, &Worker::blockReady, this, [this](const BlockRow& b) {
        m_blockTable->addBlock(b.layers, b.chosen, b.chosenLoss, b.bestSetsLoss, b.combinations);
    });
    connect(m_worker, &Worker::sessionChanged, this, &MainWindow::onSessionChanged);
    connect(m_worker, &Worker::notice, this, [this](const QString& message) {
        m_lastNotice = message;
        statusBar()->showMessage(message, 20000);
    });
    connect(m_worker, &Worker::sessionSaved, this,
        [this](const QString& path) { statusBar()->showMessage(tr("Session saved to %1").arg(path), 5000); });
    connect(m_worker, &Worker::jobFinished, this, [this](int job) {
        m_status->setStage(tr("Done"));
        if (const auto it = m_runs.find(job); it != m_runs.end())
            m_parameters->setLastRun(it->second);
        if (job == m_evaluateJob)
            m_tabs->setCurrentWidget(m_compare);
        if (job == m_decomposeJob)
            m_tabs->setCurrentWidget(m_ranks);
        m_runs.erase(job);
        onBusyChanged();
    });
    connect(m_worker, &Worker::jobCancelled, this, [this](int job) {
        m_runs.erase(job);
        if (job == m_worker->currentJob())
            m_status->setStage(tr("Cancelled; the previous results are shown"));
        onBusyChanged();
    });
    connect(m_worker, &Worker::jobFailed, this, [this](int job, const QString& message) {
        m_runs.erase(job);
        onBusyChanged();
        if (job == m_worker->currentJob())
            onJobFailed(message);
    });
}

void MainWindow::onBusyChanged()
{
    const bool busy = m_worker->busy();
    m_status->setBusy(busy);
    m_cancelAction->setEnabled(busy);
    for (auto* action : m_runActions)
        action->setEnabled(m_haveModel);
}

int MainWindow::openModel(const QString& directory)
{
    return m_worker->openModel(directory);
}

int MainWindow::openSession(const QString& file)
{
    m_parameters->setLastRun(std::nullopt);
    return m_sessionJob = m_worker->openSession(file);
}

int MainWindow::saveSessionAs(const QString& file)
{
    return m_worker->saveSession(file);
}

int MainWindow::runAnalysis()
{
    RunSettings s = m_settings;
    s.recompute = true; // asked for explicitly: compute again even when the session has it
    return m_worker->analyze(s);
}

int MainWindow::runSearch()
{
    if (refuseInvalidParameters())
        return 0;
    saveLastRunSettings(m_settings);
    return trackRun(m_worker->search(m_settings));
}

int MainWindow::runAll()
{
    if (isExtraMethod(m_settings.method)) // Layer Drop, Wanda, CD-MoE ...: one plan, no pipeline
        return runMethod();
    if (refuseInvalidParameters())
        return 0;
    saveLastRunSettings(m_settings);
    return trackRun(m_worker->runAll(m_settings));
}

int MainWindow::decompose()
{
    if (refuseInvalidParameters())
        return 0;
    return m_decomposeJob = m_worker->decompose(m_settings);
}

int MainWindow::applyAndEvaluate()
{
    EvalSettings e = m_evalSettings;
    e.batchTokens = m_settings.batchTokens; // the Parameters dock's Advanced ▸ Batch tokens
    return m_evaluateJob = m_worker->evaluate(e);
}

int MainWindow::trackRun(int job)
{
    m_runs[job] = m_settings;
    return job;
}

void MainWindow::cancel()
{
    m_worker->cancel();
    m_status->setStage(tr("Cancelling\u2026"));
}

} // namespace moewb::gui
