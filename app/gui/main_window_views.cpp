// MainWindow: the views' side of the worker's signals (model opened, rows analysed, allocation,
// search, session snapshots, failures) and the shared layer selection.
#include "app/gui/main_window.h"

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

#include <QMessageBox>
#include <algorithm>
#include <cmath>
#include <limits>

namespace moewb::gui {

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
    m_parameters->setModel(model);
    m_parameters->setLastRun(std::nullopt);
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
    m_parameters->setAllocation(allocation, false);
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
    m_parameters->setDecomposablePlans(snap.decomposable);
    m_settings.decomposeFrom = m_parameters->settings().decomposeFrom; // its plan may have gone
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
    if (!snap.allocation.layers.empty()) {
        onAllocation(snap.allocation);
        if (m_worker->currentJob() == m_sessionJob) // an opened session brings its own overrides
            m_parameters->setAllocation(snap.allocation, true);
    }
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
    std::vector<widgets::CompareView::Variant> variants;
    for (const auto& e : snap.evaluations)
        variants.push_back({e.plan.isEmpty() ? tr("original") : e.plan, e.plan.isEmpty(), e.metrics});
    for (const QString& plan : snap.plans) // not evaluated yet (a method or Recover just made it): no values
        if (std::none_of(snap.evaluations.begin(), snap.evaluations.end(),
                [&plan](const EvaluationRow& e) { return e.plan == plan; }))
            variants.push_back({plan, false, {}});
    m_compare->setVariants(variants);
    std::map<QString, std::vector<widgets::RankEditor::Layer>> factored;
    for (const auto& [plan, layers] : snap.factoredPlans)
        for (const auto& r : layers)
            factored[plan].push_back({r.layer, r.m, r.n, r.ranks, r.denseExperts});
    m_ranks->setPlans(factored, snap.rankPlan, m_model.maxExperts);
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

} // namespace moewb::gui
