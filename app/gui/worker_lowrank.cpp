// Run ▸ Decompose on the worker thread: the low-rank stage of MoE-I² (core/pipeline/moe_i2_stages.h)
// on the plan the Parameters dock names (RunSettings::decomposeFrom: the search's "moe-i2-search" by
// default, any other session plan, or none) with its decomposition rate, alpha, SVD mode and the Ranks
// tab's rank overrides, giving the plan decomposedPlanName(from) ("moe-i2" from the search's plan:
// pruning + factored experts) and its factor tensors in the session. The stage reuses a matching plan
// already in the session.
#include "app/gui/worker.h"
#include "app/gui/worker_core.h"
#include "core/io/error.h"
#include "core/pipeline/moe_i2_stages.h"
#include "core/plan/apply.h"

#include <torch/types.h>

namespace moewb::gui {

void WorkerCore::decompose(int job, const RunSettings& s)
{
    requireModel();
    const std::string from = s.decomposeFrom.toStdString();
    if (from == "moe-i2-search" && !m_session.plans().count(from))
        fail("no pruning plan to decompose: run the search (Run all) first");
    if (!from.empty() && !m_session.plans().count(from))
        fail("no plan '{}' in the session to decompose: run the method that makes it first", from);
    if (!m_cache.tokens || m_cache.tokensKey != calibrationKeyOf(s)) {
        stage(job, tr("Reading calibration text"));
        m_cache = StageCache();
        m_cache.tokens = calibration(s);
        m_cache.tokensKey = calibrationKeyOf(s);
    }
    stage(job, tr("Decomposing experts"));
    DecomposeStageOptions options;
    options.pruningPlan = from;
    options.decompose.rate = s.decompositionRate;
    options.decompose.alpha = s.alpha;
    options.decompose.batchTokens = s.batchTokens;
    options.decompose.mode = s.activationAware ? SvdMode::ActivationAware : SvdMode::Plain;
    options.decompose.expertRank = s.rankOverrides;
    options.decompose.planName = decomposedPlanName(s.decomposeFrom).toStdString();
    options.decompose.factorPrefix = planTensorPrefix("factors", options.decompose.planName);
    m_rankPlan = QString::fromStdString(options.decompose.planName); // the Ranks tab shows it
    options.decompose.progress = [this, job](double f) { return progress(job, f); };
    decomposeIntoSession(m_model->path(), m_model->options(), m_cache.tokens->ids, m_session, options);
    stage(job, tr("Saving session"));
    m_session.save(workingSessionPath());
}

} // namespace moewb::gui
