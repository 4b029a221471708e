// Run ▸ Run method on the worker thread (issues #16, #17): Expert Drop, Layer Drop, Block Drop, Wanda,
// SparseGPT and CD-MoE condensing on the calibration blocks, each making a plan that goes into the
// session as `moe-compress run --method ...` stores it (same names, same tensors, same cached scores).
// With an "after" plan the holistic methods run on the model with that session plan applied and
// store its steps followed by theirs (`--after`). Layer / Block Drop also post their similarity
// scores for the chart; CD-MoE's optional fine-tuning of the condensed experts posts every step's
// loss for the loss curve.
#include "app/gui/demo_paths.h"
#include "app/gui/parameter_checks.h"
#include "app/gui/worker.h"
#include "app/gui/worker_core.h"
#include "app/gui/worker_training.h"
#include "core/analysis/session_analysis.h"
#include "core/calib/dataset.h"
#include "core/compress/condense.h"
#include "core/compress/expert_drop.h"
#include "core/compress/layer_drop.h"
#include "core/compress/slimming.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/plan/apply.h"
#include "core/train/condense_finetune.h"

#include <torch/types.h>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>

namespace moewb::gui {

namespace {

using Delivery = Worker::Delivery;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string str(const QString& s)
{
    return s.toStdString();
}

// The model a method works on: the open one, or a copy with the session plan `after` applied (as
// app/cli/run_holistic.cpp's workModel for `--after`).
struct WorkModel {
    std::optional<Plan> base;
    std::unique_ptr<MoeModel> copy;
    const MoeModel* model = nullptr;
    std::string prefix() const { return base ? base->name + " + " : std::string(); } // of the plan's name
};

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
    bindSession(m_session, model, blocks);
    const auto progressFn = [this, job](double f) { return progress(job, f); };
    const std::string method = str(s.method);
    WorkModel work;
    work.model = &model;
    if (!p.after.isEmpty() && method != "condense") {
        const auto it = m_session.plans().find(str(p.after));
        if (it == m_session.plans().end())
            fail("Run method: no plan '{}' in the session to run after", str(p.after));
        work.base = it->second.plan;
        stage(job, tr("Applying plan %1").arg(p.after));
        work.copy = MoeModel::open(model.path(), model.options());
        applyPlan(*work.copy, *work.base, sessionTensorSource(m_session));
        work.model = work.copy.get();
    }
    // The plan's name: Plan name, else the method's default after "<after> + " (as the CLI's --plan-name
    // and its default names; the slimming tensors and CD-MoE's deltas are stored under it).
    if (const QString problem = planNameProblemMessage(p.planName); !p.planName.isEmpty() && !problem.isEmpty())
        fail("Run method: {}", str(problem));
    const std::string planName = !p.planName.isEmpty() ? str(p.planName)
                                                       : work.prefix() + str(defaultPlanName(s.method, p));
    // Its tensors would replace those of the plan it runs after, which the applied copy still reads.
    if (work.base && planName == work.base->name)
        fail("Run method: plan name '{}' is that of the plan this method runs after; choose another name", planName);
    Plan plan;
    if (method == "expert-drop") {
        stage(job, tr("Expert scores"));
        const auto kind = parseExpertScore(str(p.expertScore));
        std::optional<ExpertScores> scores; // a model with another plan applied: never cached
        if (!work.base)
            scores = expertScoresFromSession(m_session, spec, kind);
        if (!scores) {
            scores = computeExpertScores(*work.model, blocks.ids, kind, s.batchTokens, progressFn);
            if (!work.base)
                m_session.setRouterStats(routerStatsOf(*scores));
        }
        ExpertDropOptions o;
        o.mode = parseExpertDropMode(str(p.dropMode));
        o.ratio = p.dropRatio;
        o.preserveN = p.preserveN;
        plan = expertDropPlan(spec, *scores, o);
    } else if (method == "layer-drop" || method == "block-drop") {
        const bool layerDrop = method == "layer-drop";
        const auto mode = layerDrop ? BlockDropMode::Discrete : parseBlockDropMode(str(p.blockMode));
        stage(job, tr("Layer similarity"));
        SimilarityOptions so;
        so.maxSpan = p.maxSpan;
        so.batchTokens = s.batchTokens;
        so.progress = progressFn;
        const LayerSimilarity sim = layerSimilarity(*work.model, blocks.ids, work.base ? nullptr : &m_session,
            mode == BlockDropMode::Consecutive ? p.dropN : 1, so);
        SimilarityChartData chart;
        chart.method = s.method;
        plan = layerDrop ? layerDropPlan(spec, sim, p.dropN) : blockDropPlan(spec, sim, p.dropN, mode);
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
        chart.plan = QString::fromStdString(planName);
        m_facade->post(job, Delivery::Live, [chart](Worker& w) { Q_EMIT w.similarityReady(chart); });
    } else if (method == "wanda" || method == "sparsegpt") {
        const SlimMethod slim = method == "wanda" ? SlimMethod::Wanda : SlimMethod::SparseGpt;
        SlimmingOptions so;
        so.method = slim;
        so.pattern = SparsityPattern::parse(str(p.pattern), p.sparsity);
        so.sharedExperts = p.sharedExperts;
        so.sparseGpt.blockSize = p.sparseGptBlock;
        so.sparseGpt.damping = p.damping;
        so.batchTokens = s.batchTokens;
        so.progress = progressFn;
        so.tensorPrefix = slimmingTensorPrefix(planName);
        for (const std::string kind : {"masks/", "deltas/"}) {
            claimTensorFolder(
                m_session, planName, [&kind](const std::string& name) { return kind + slimmingTensorPrefix(name); });
            removeSessionTensors(m_session, kind + so.tensorPrefix); // a run of the same name before
        }
        if (work.base)
            for (const auto& step : work.base->steps)
                if (const auto* m = std::get_if<SparsifyMatrix>(&step))
                    so.existingMasks.push_back(maskKey(m->layer, m->expert, m->matrix));
        stage(job, tr("Expert slimming (%1)").arg(QString::fromStdString(slimMethodName(slim))));
        auto result = slimExperts(*work.model, blocks.ids, so,
            [this](const std::string& n, const torch::Tensor& t) { putSessionTensor(m_session, n, t); });
        plan = std::move(result.plan);
    } else if (method == "condense") {
        CondenseOptions co;
        co.layers = p.condenseLayers;
        co.targetParameters = p.condenseByTarget ? static_cast<uint64_t>(std::max<qint64>(0, p.condenseTargetParams)) : 0;
        if (p.condenseByTarget && co.targetParameters == 0)
            fail("condense: no parameter target set");
        co.experts = p.condenseExperts;
        co.metric = parseCondenseMetric(str(p.condenseMetric));
        const auto candidates = parseLayerList(p.condenseCandidates);
        if (!candidates)
            fail("condense: candidate layers '{}' are not a list like 3,4,5 or 3-5",
                str(p.condenseCandidates));
        co.candidateLayers = *candidates;
        co.planName = planName;
        co.batchTokens = s.batchTokens;
        co.progress = progressFn;
        stage(job, tr("CD-MoE condensing"));
        CondenseResult result = condenseLayers(model, blocks.ids, co);
        plan = std::move(result.plan);
        if (p.condenseFinetuneSteps > 0) {
            if (!checkpoint(job))
                throw Cancelled();
            condenseFinetuneStage(job, s, plan, result.order);
        }
    } else {
        fail("Run method: unknown method '{}' (expert-drop, layer-drop, block-drop, wanda, sparsegpt, condense)",
            method);
    }
    if (!checkpoint(job))
        throw Cancelled();
    if (work.base) { // its steps first, then the method's, recorded under the method's own name
        plan.name = str(defaultPlanName(s.method, p));
        plan = composePlans(spec, *work.base, plan);
    }
    plan.name = planName;
    m_session.setPlan(plan);
    stage(job, tr("Saving session"));
    m_session.save(workingSessionPath());
    const QString name = QString::fromStdString(plan.name);
    m_facade->post(job, Delivery::Current, [name](Worker& w) { Q_EMIT w.planStored(name); });
}

// As app/cli/run_condense.cpp's finetune(): the plan applied to a resident fp32 CPU copy of the model,
// the condensed layers' kept routed and shared experts trained on the text's token stream, the plan
// before training stored as "<plan>-no-finetune", the deltas under "deltas/<plan>" in the session.
void WorkerCore::condenseFinetuneStage(
    int job, const RunSettings& s, Plan& plan, const std::vector<int>& layers)
{
    const MethodParameters& p = s.methodParameters;
    const QString run = QString::fromStdString(plan.name);
    stage(job, tr("Applying plan %1").arg(run));
    auto model = trainingCopy(*m_model, m_device.toStdString(), plan);
    if (!checkpoint(job))
        throw Cancelled();

    stage(job, tr("Reading training text"));
    const auto tokenizerPath = trainingTokenizerPath(*m_model);
    QString trainPath = p.condenseTrainPath.isEmpty() ? s.calibrationPath : p.condenseTrainPath;
    if (trainPath.isEmpty())
        trainPath = demoCalibrationPath();
    if (trainPath.isEmpty())
        fail("CD-MoE fine-tuning: no training text chosen and the demo's calib.txt was not found");
    const auto ids = tokenize(readTextCorpus(str(trainPath)), Tokenizer::fromFile(tokenizerPath));
    if (ids.empty())
        fail("{}: no tokens (an empty file?)", str(trainPath));

    CondenseFinetuneOptions fit;
    fit.steps = p.condenseFinetuneSteps;
    fit.lr = p.condenseFinetuneLr;
    fit.seqLen = s.sequenceLength;
    if (const int64_t context = model->spec().maxPositionEmbeddings; context > 1)
        fit.seqLen = std::min<int64_t>(fit.seqLen, context - 1);
    fit.batchSize = p.condenseFinetuneBatch;
    fit.warmupSteps = p.condenseFinetuneWarmup;
    fit.weightDecay = p.condenseFinetuneWeightDecay;
    fit.sharedExperts = p.condenseFinetuneShared;
    fit.seed = s.seed;
    stage(job, tr("Fine-tuning the condensed experts of %1").arg(run));
    const CondenseFinetuneResult result
        = finetuneCondensed(*model, layers, ids, fit, [this, job, run](const CondenseFinetuneStep& step) {
              const LossPoint point{run, step.step, step.steps, step.loss, step.lr, kNaN};
              m_facade->post(job, Delivery::Live, [point](Worker& w) { Q_EMIT w.lossPointReady(point); });
              return progress(job, double(step.step) / double(std::max<int64_t>(1, step.steps)));
          });
    if (!checkpoint(job))
        throw Cancelled();

    storeCondenseFinetune(m_session, plan, result, fit, str(trainPath));
    m_session.provenance().timings["condense finetune"] = result.seconds;
}

} // namespace moewb::gui
