// Run ▸ Run method on the worker thread (issues #16, #17): Expert Drop, Layer Drop, Block Drop, Wanda,
// SparseGPT and CD-MoE condensing on the calibration blocks, each making a plan that goes into the
// session as `moe-compress run --method ...` stores it (same names, same tensors, same cached scores).
// Layer / Block Drop also post their similarity scores for the chart.
#include "app/gui/parameter_checks.h"
#include "app/gui/worker.h"
#include "app/gui/worker_core.h"
#include "core/calib/dataset.h"
#include "core/compress/condense.h"
#include "core/compress/expert_drop.h"
#include "core/compress/layer_drop.h"
#include "core/compress/slimming.h"
#include "core/io/error.h"
#include "core/plan/apply.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cctype>
#include <cmath>

namespace moewb::gui {

namespace {

using Delivery = Worker::Delivery;

// The slimming tensors' prefix as the CLI makes it (app/cli/run_holistic.cpp).
std::string tensorPrefix(const std::string& name)
{
    std::string out = name;
    for (char& c : out)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            c = '-';
    return out;
}

std::string str(const QString& s)
{
    return s.toStdString();
}

} // namespace

const TokenBlocks& WorkerCore::cachedCalibration(int job, const RunSettings& s)
{
    requireModel();
    if (s.device != m_modelDevice) { // the device changed: the model moves (and the cache goes)
        m_device = s.device;
        openModel(job, QString::fromStdString(m_model->path().string()));
    }
    const QString key = calibrationKey(s);
    if (!m_cache.tokens || m_cache.tokensKey != key) {
        stage(job, tr("Reading calibration text"));
        m_cache = StageCache(); // every later stage depends on the calibration data
        m_cache.tokens = calibration(s);
        m_cache.tokensKey = key;
    }
    return *m_cache.tokens;
}

void WorkerCore::runMethod(int job, const RunSettings& s)
{
    const TokenBlocks& blocks = cachedCalibration(job, s);
    const MoeModel& model = *m_model;
    const ModelSpec& spec = model.spec();
    const MethodParameters& p = s.methodParameters;
    // The session describes this model and these blocks (cached scores are stamped with them), as
    // `moe-compress run` prepares it.
    const std::string modelHash = model.checkpoint().identityHash();
    m_session.dropStale(m_session.checkCompatibility(modelHash, blocks.dataHash));
    m_session.setSource({model.path(), readUtf8File(model.path() / "config.json"), modelHash});
    m_session.setCalibration(
        {blocks.source, blocks.count(), blocks.length(), blocks.options.seed, blocks.dataHash});
    const auto progressFn = [this, job](double f) { return progress(job, f); };
    const std::string method = str(s.method);
    Plan plan;
    if (method == "expert-drop") {
        stage(job, tr("Expert scores"));
        const auto kind = ExpertScoreKind::Auto;
        std::optional<ExpertScores> scores = expertScoresFromSession(m_session, spec, kind);
        if (!scores) {
            scores = computeExpertScores(model, blocks.ids, kind, 2048, progressFn);
            m_session.setRouterStats(routerStatsOf(*scores));
        }
        ExpertDropOptions o;
        o.mode = parseExpertDropMode(str(p.dropMode));
        o.ratio = p.dropRatio;
        o.preserveN = p.preserveN;
        plan = expertDropPlan(spec, *scores, o);
        plan.name = p.preserveN > 0 ? fmt::format("expert-drop-{}-keep{}", str(p.dropMode), p.preserveN)
                                    : fmt::format("expert-drop-{}-{}", str(p.dropMode), p.dropRatio);
    } else if (method == "layer-drop" || method == "block-drop") {
        const bool layerDrop = method == "layer-drop";
        const auto mode = layerDrop ? BlockDropMode::Discrete : parseBlockDropMode(str(p.blockMode));
        stage(job, tr("Layer similarity"));
        SimilarityOptions so;
        so.progress = progressFn;
        const LayerSimilarity sim = layerSimilarity(
            model, blocks.ids, &m_session, mode == BlockDropMode::Consecutive ? p.dropN : 1, so);
        SimilarityChartData chart;
        chart.method = s.method;
        if (layerDrop) {
            plan = layerDropPlan(spec, sim, p.dropN);
            plan.name = fmt::format("layer-drop-{}", p.dropN);
        } else {
            plan = blockDropPlan(spec, sim, p.dropN, mode);
            plan.name = fmt::format("block-drop-{}-{}", str(p.blockMode), p.dropN);
        }
        for (int l = 0; l < sim.numLayers; ++l) {
            chart.layers.push_back(l);
            chart.scores.push_back(layerDrop ? sim.moe[static_cast<size_t>(l)] : sim.block(l));
        }
        for (const auto& step : plan.steps) {
            if (const auto* d = std::get_if<DropMoeSublayer>(&step))
                chart.dropped.push_back(d->layer);
            else if (const auto* b = std::get_if<DropBlock>(&step))
                chart.dropped.push_back(b->layer);
        }
        chart.plan = QString::fromStdString(plan.name);
        m_facade->post(job, Delivery::Live, [chart](Worker& w) { Q_EMIT w.similarityReady(chart); });
    } else if (method == "wanda" || method == "sparsegpt") {
        const SlimMethod slim = method == "wanda" ? SlimMethod::Wanda : SlimMethod::SparseGpt;
        SlimmingOptions so;
        so.method = slim;
        so.pattern = SparsityPattern::parse(str(p.pattern), p.sparsity);
        so.progress = progressFn;
        std::string name = slimMethodName(slim) + "-" + so.pattern.name();
        if (!so.pattern.structured())
            name += fmt::format("-{}", so.pattern.sparsity);
        so.tensorPrefix = tensorPrefix(name);
        removeSessionTensors(m_session, "masks/" + so.tensorPrefix); // a run of the same name before
        removeSessionTensors(m_session, "deltas/" + so.tensorPrefix);
        stage(job, tr("Expert slimming (%1)").arg(QString::fromStdString(slimMethodName(slim))));
        auto result = slimExperts(model, blocks.ids, so,
            [this](const std::string& n, const torch::Tensor& t) { putSessionTensor(m_session, n, t); });
        plan = std::move(result.plan);
        plan.name = name;
    } else if (method == "condense") {
        CondenseOptions co;
        co.layers = p.condenseLayers;
        co.experts = p.condenseExperts;
        co.metric = parseCondenseMetric(str(p.condenseMetric));
        co.planName = fmt::format("cd-moe-{}x{}", p.condenseLayers, p.condenseExperts);
        co.progress = progressFn;
        stage(job, tr("CD-MoE condensing"));
        plan = condenseLayers(model, blocks.ids, co).plan;
        plan.name = co.planName;
        // TODO(#17): fine-tuning of the condensed experts (its loss curve in the Recover tab) once
        // core exposes it; Run ▸ Recover (LoRA) already works on a condensed plan.
    } else {
        fail("Run method: unknown method '{}' (expert-drop, layer-drop, block-drop, wanda, sparsegpt, condense)",
            method);
    }
    if (!checkpoint(job))
        throw Cancelled();
    m_session.setPlan(plan);
    stage(job, tr("Saving session"));
    m_session.save(workingSessionPath());
    const QString name = QString::fromStdString(plan.name);
    m_facade->post(job, Delivery::Current, [name](Worker& w) { Q_EMIT w.planStored(name); });
}

} // namespace moewb::gui
