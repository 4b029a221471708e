// MainWindow: Run ▸ Run method (Expert / Layer / Block Drop, Wanda, SparseGPT, CD-MoE; issues #16,
// #17) with the similarity chart of Layer / Block Drop, and Run ▸ Recover (LoRA fine-tuning, #18)
// with its live loss curve, which also shows CD-MoE's fine-tuning of the condensed experts when that
// runs. Both run on the worker; the plans they store show up in Compare.
#include "app/gui/main_window.h"
#include "app/gui/method_form.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/preferences.h"
#include "app/gui/recover_panel.h"
#include "app/gui/status_panel.h"
#include "app/gui/worker.h"
#include "widgets/compare_view.h"
#include "widgets/loss_curve.h"
#include "widgets/similarity_chart.h"

#include <QStatusBar>
#include <QTabWidget>

namespace moewb::gui {

void MainWindow::createMethodViews()
{
    m_similarity = new widgets::SimilarityChart(m_tabs);
    m_tabs->addTab(m_similarity, tr("Similarity"));
    m_recover = new RecoverPanel(m_tabs);
    m_tabs->addTab(m_recover, tr("Recover"));
    connect(m_recover, &RecoverPanel::recoverRequested, this, &MainWindow::recover);
    connect(m_worker, &Worker::similarityReady, this, &MainWindow::onSimilarity);
    connect(m_worker, &Worker::lossPointReady, this, [this](const LossPoint& p) {
        // The held-out objective is drawn only where start() named it (distillation).
        m_recover->lossCurve()->addPoint(p.step, p.loss, p.heldOutPerplexity, p.heldOutObjective);
        if (p.keptStep >= 0)
            m_recover->lossCurve()->markKept(p.keptStep);
    });
    connect(m_worker, &Worker::planStored, this, [this](const QString& plan) {
        statusBar()->showMessage(
            tr("Plan %1 is in the session; Run \u25b8 Apply & evaluate compares it with the original.").arg(plan),
            10000);
        m_recover->selectPlan(plan);
    });
    connect(m_worker, &Worker::sessionChanged, this, [this](const SessionSnapshot& snap) {
        m_recover->setPlans(snap.plans);
        m_recover->setSessionContext(snap.recoveredPlans, snap.workingPath);
        m_parameters->setSessionPlans(snap.plans);
    });
    const auto ended = [this](int job) {
        if (job == m_recoverJob)
            m_recover->setRunning(false);
    };
    connect(m_worker, &Worker::jobFinished, this, ended);
    connect(m_worker, &Worker::jobCancelled, this, [this, ended](int job) {
        ended(job);
        if (job == m_recoverJob && m_recoverCheckpoints && m_recover->checkpointExists())
            statusBar()->showMessage(tr("Recover cancelled; its checkpoint is in %1: tick Advanced \u25b8 Checkpoint "
                                        "every \u25b8 Resume and Recover to continue where it stopped.")
                                         .arg(m_recover->checkpointPath()),
                30000);
    });
    connect(m_worker, &Worker::jobFailed, this, ended);
}

widgets::LossCurve* MainWindow::lossCurve() const
{
    return m_recover->lossCurve();
}

int MainWindow::runMethod()
{
    if (!isExtraMethod(m_settings.method)) {
        m_lastError = tr("Choose Expert Drop, Layer Drop, Block Drop, Wanda, SparseGPT or CD-MoE in Parameters "
                         "(MoE-I\u00b2 runs with Run all).");
        statusBar()->showMessage(m_lastError, 10000);
        showParameters();
        return 0;
    }
    if (refuseInvalidParameters())
        return 0;
    saveLastRunSettings(m_settings);
    if (m_settings.method == QLatin1String("layer-drop") || m_settings.method == QLatin1String("block-drop")) {
        m_similarity->clear();
        m_tabs->setCurrentWidget(m_similarity);
    }
    const MethodParameters& p = m_settings.methodParameters;
    if (m_settings.method == QLatin1String("condense") && p.condenseFinetuneSteps > 0) {
        // The steps' losses arrive on the Recover tab's curve (Worker::lossPointReady).
        const QString plan = p.planName.isEmpty() ? defaultPlanName(m_settings.method, p) : p.planName;
        const int steps = p.condenseFinetuneSteps;
        m_recover->lossCurve()->start(tr("CD-MoE fine-tuning of %1 (%2 steps)").arg(plan).arg(steps), steps,
            tr("Cross-entropy loss (nats)"));
        showRecover();
    }
    return m_worker->runMethod(m_settings);
}

void MainWindow::onSimilarity(const SimilarityChartData& data)
{
    QStringList labels;
    for (int layer : data.layers)
        labels << QString::number(layer);
    std::vector<int> dropped;
    for (int layer : data.dropped)
        for (size_t i = 0; i < data.layers.size(); ++i)
            if (data.layers[i] == layer)
                dropped.push_back(static_cast<int>(i));
    const QString title = data.method == QLatin1String("layer-drop")
        ? tr("Layer Drop: MoE sublayer input vs output (plan %1)").arg(data.plan)
        : tr("Block Drop: decoder block input vs output (plan %1)").arg(data.plan);
    m_similarity->setData(title, labels, data.scores, dropped);
    m_tabs->setCurrentWidget(m_similarity);
}

void MainWindow::showRecover()
{
    m_tabs->setCurrentWidget(m_recover);
}

int MainWindow::recover(const RecoverSettings& settings)
{
    const QString problem = m_recover->problemFor(settings);
    if (!problem.isEmpty()) {
        m_lastError = problem;
        statusBar()->showMessage(tr("Not started: %1").arg(m_lastError), 10000);
        showRecover();
        return 0;
    }
    if (settings.objective == QLatin1String("distill"))
        m_recover->lossCurve()->start(
            tr("LoRA recovery of %1 by distillation (rank %2, %3 steps, T %4, weight %5)")
                .arg(settings.plan)
                .arg(settings.rank)
                .arg(settings.steps)
                .arg(settings.temperature)
                .arg(settings.distillWeight),
            settings.steps, tr("Distillation loss (nats)"),
            tr("held-out distillation loss (selects the adapters)"));
    else // the held-out objective is log perplexity: the right axis's points show it already
        m_recover->lossCurve()->start(tr("LoRA recovery of %1 (rank %2, %3 steps)")
                                          .arg(settings.plan)
                                          .arg(settings.rank)
                                          .arg(settings.steps),
            settings.steps, tr("Cross-entropy loss (nats)"));
    showRecover();
    m_recoverJob = m_worker->recover(settings);
    m_recoverCheckpoints = settings.checkpointEvery > 0 || settings.resume;
    m_recover->setRunning(true);
    return m_recoverJob;
}

} // namespace moewb::gui
