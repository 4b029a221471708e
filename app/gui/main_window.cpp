#include "app/gui/main_window.h"

#include "app/gui/model_tree.h"
#include "app/gui/status_panel.h"
#include "app/gui/worker.h"
#include "widgets/block_table.h"
#include "widgets/convergence_plot.h"
#include "widgets/heatmap_view.h"
#include "widgets/importance_panel.h"
#include "widgets/layer_bar_chart.h"

#include <QAction>
#include <QDockWidget>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>
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
    createViews();
    createMenus();
    connectWorker();
    statusBar()->showMessage(tr("Open a checkpoint or a demo model to begin."), 5000);
    resize(1360, 860);
}

MainWindow::~MainWindow() = default;

void MainWindow::createViews()
{
    m_importance = new ImportancePanel(this);
    setCentralWidget(m_importance);
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
    auto* treeDock = dock(tr("Model"), QStringLiteral("modelDock"), m_tree, Qt::LeftDockWidgetArea);
    auto* chartDock
        = dock(tr("Layer importance"), QStringLiteral("layerDock"), m_layerChart, Qt::BottomDockWidgetArea);
    auto* curveDock = dock(
        tr("Search convergence"), QStringLiteral("convergenceDock"), m_convergence, Qt::RightDockWidgetArea);
    auto* blockDock
        = dock(tr("KT blocks"), QStringLiteral("blockDock"), m_blockTable, Qt::BottomDockWidgetArea);
    splitDockWidget(chartDock, blockDock, Qt::Horizontal);
    resizeDocks({treeDock, curveDock}, {330, 440}, Qt::Horizontal);
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
    connect(m_worker, &Worker::sessionSaved, this,
        [this](const QString& path) { statusBar()->showMessage(tr("Session saved to %1").arg(path), 5000); });
    connect(m_worker, &Worker::jobFinished, this, [this] {
        m_status->setStage(tr("Done"));
        onBusyChanged();
    });
    connect(m_worker, &Worker::jobCancelled, this, [this](int job) {
        if (job == m_worker->currentJob())
            m_status->setStage(tr("Cancelled; the previous results are shown"));
        onBusyChanged();
    });
    connect(m_worker, &Worker::jobFailed, this, [this](int job, const QString& message) {
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

QStringList MainWindow::moeLabels() const
{
    QStringList labels;
    for (int layer : m_model.moeLayers)
        labels << tr("layer %1").arg(layer);
    return labels;
}

QStringList MainWindow::moeNumbers() const
{
    QStringList numbers;
    for (int layer : m_model.moeLayers)
        numbers << QString::number(layer);
    return numbers;
}

int MainWindow::rowOfLayer(int layer) const
{
    const auto& l = m_model.moeLayers;
    const auto it = std::find(l.begin(), l.end(), layer);
    return it == l.end() ? -1 : static_cast<int>(it - l.begin());
}

void MainWindow::onModelOpened(const ModelSummary& model)
{
    m_model = model;
    m_haveModel = true;
    m_tree->setModel(model);
    m_status->setDevice(model.device);
    m_importance->reset(moeLabels(), model.maxExperts);
    m_layerChart->setData(moeNumbers(), {}, {});
    m_convergence->clear();
    m_blockTable->clearBlocks();
    m_selectedLayer = -1;
    m_userSelected = false;
    if (!model.moeLayers.empty())
        selectLayer(model.moeLayers.front());
    setWindowTitle(tr("%1 \u2013 MoE Workbench").arg(model.name));
    rememberRecent(model.path);
    onBusyChanged();
}

void MainWindow::onAnalysisStarted(const QStringList& labels, int experts)
{
    m_importance->reset(labels, experts);
    m_layerChart->setData(moeNumbers(), {}, {});
}

void MainWindow::onLayerAnalyzed(const LayerRow& row)
{
    m_importance->setRow(
        row.moeIndex, {row.removalLoss, row.selectionFrequency, row.meanGateWeight, row.softmaxMass});
    m_layerChart->setImportance(row.moeIndex, row.importance);
}

void MainWindow::onAllocation(const AllocationInfo& allocation)
{
    std::vector<double> importance(m_model.moeLayers.size(), std::numeric_limits<double>::quiet_NaN());
    std::vector<int> counts(m_model.moeLayers.size(), 0);
    for (size_t i = 0; i < allocation.layers.size(); ++i) {
        const int row = rowOfLayer(allocation.layers[i]);
        if (row < 0)
            continue;
        if (i < allocation.importance.size())
            importance[static_cast<size_t>(row)] = allocation.importance[i];
        if (i < allocation.counts.size())
            counts[static_cast<size_t>(row)] = allocation.counts[i];
    }
    m_layerChart->setData(moeNumbers(), importance, counts);
    m_layerChart->setSelected(rowOfLayer(m_selectedLayer));
}

void MainWindow::onSearchStarted(const AllocationInfo& allocation)
{
    m_convergence->clear();
    m_blockTable->clearBlocks();
    m_importance->setMarked({});
    // Watch a layer that is actually searched (P > 0) unless the user picked one: the one losing the
    // most experts, whose space is the largest (small ones are enumerated in one step).
    const int row = rowOfLayer(m_selectedLayer);
    bool searched = false;
    int watch = -1, most = 0;
    for (size_t i = 0; i < allocation.layers.size(); ++i) {
        searched |= allocation.layers[i] == m_selectedLayer && allocation.counts[i] > 0;
        if (allocation.counts[i] > most) {
            most = allocation.counts[i];
            watch = allocation.layers[i];
        }
    }
    if ((row < 0 || !searched || !m_userSelected) && watch >= 0)
        selectLayer(watch);
}

void MainWindow::onSessionChanged(const SessionSnapshot& snap)
{
    if (!m_haveModel)
        return;
    m_importance->reset(moeLabels(), m_model.maxExperts);
    std::vector<double> importance(m_model.moeLayers.size(), std::numeric_limits<double>::quiet_NaN());
    for (const auto& row : snap.rows) {
        const int r = rowOfLayer(row.layer);
        if (r < 0)
            continue;
        m_importance->setRow(
            r, {row.removalLoss, row.selectionFrequency, row.meanGateWeight, row.softmaxMass});
        importance[static_cast<size_t>(r)] = row.importance;
    }
    m_layerChart->setData(moeNumbers(), importance, {});
    if (!snap.allocation.layers.empty())
        onAllocation(snap.allocation);
    m_convergence->clear();
    for (const auto& [layer, points] : snap.generations)
        for (const auto& p : points)
            m_convergence->addPoint(p.layer, p.generation, p.best, p.mean, p.worst);
    m_blockTable->clearBlocks();
    for (const auto& b : snap.blocks)
        m_blockTable->addBlock(b.layers, b.chosen, b.chosenLoss, b.bestSetsLoss, b.combinations);
    QSet<QPair<int, int>> marks;
    for (const auto& [layer, experts] : snap.removed)
        for (int e : experts)
            if (const int r = rowOfLayer(layer); r >= 0)
                marks.insert({r, e});
    m_importance->setMarked(marks);
    selectLayer(m_selectedLayer);
}

void MainWindow::onJobFailed(const QString& message)
{
    m_lastError = message;
    m_status->setStage(tr("Failed"));
    // Not exec(): the event loop (and a running test) goes on while the dialog is up.
    auto* box = new QMessageBox(
        QMessageBox::Critical, tr("MoE Workbench"), tr("The job failed."), QMessageBox::Ok, this);
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::selectLayer(int layer, int expert)
{
    m_selectedLayer = layer;
    const int row = rowOfLayer(layer);
    m_tree->selectLayer(layer, expert);
    m_importance->heatmap()->setSelected(row, expert);
    m_layerChart->setSelected(row);
    m_convergence->showLayer(row >= 0 ? layer : -1);
}

int MainWindow::openModel(const QString& directory)
{
    return m_worker->openModel(directory);
}

int MainWindow::openSession(const QString& file)
{
    return m_worker->openSession(file);
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
    return m_worker->search(m_settings);
}

int MainWindow::runAll()
{
    return m_worker->runAll(m_settings);
}

void MainWindow::cancel()
{
    m_worker->cancel();
    m_status->setStage(tr("Cancelling\u2026"));
}

} // namespace moewb::gui
