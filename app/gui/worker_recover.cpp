// Run ▸ Recover on the worker thread (issue #18): LoRA recovery fine-tuning of a session plan, as
// `moe-compress finetune` does it (core/train/lora.h): a copy of the model on the CPU with the plan
// applied, adapters on the chosen modules (default attention, experts and shared experts), AdamW with
// warm-up, decay, weight decay and gradient accumulation, checkpoints to finetune's default file
// (core/train/lora_run.h defaultLoraCheckpoint, so either can resume the other's run), held-out
// perplexity at intervals and early stopping, on text or JSONL instruction pairs; the objective is the next-token cross-entropy or
// distillation from the original model (a second copy without the plan, on the same device, as the
// teacher, like `finetune --objective distill`); every step's loss goes to the GUI as it is made (a
// resumed run's earlier steps, which core reports again from the checkpoint, first). The
// adapters become the plan "<plan>-lora" or the chosen name (the plan's steps + low-rank deltas;
// storeRecoveredPlan, as finetune stores it) and their tensors go into the session, so Apply &
// evaluate and export see the recovered model.
#include "app/gui/demo_paths.h"
#include "app/gui/worker.h"
#include "app/gui/worker_core.h"
#include "app/gui/worker_training.h"
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/plan/apply.h"
#include "core/train/lora.h"
#include "core/train/lora_run.h"
#include "core/train/lora_train_data.h"

#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <limits>

namespace moewb::gui {

namespace {

using Delivery = Worker::Delivery;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<int32_t> tokenizeFile(const QString& path, const Tokenizer& tokenizer)
{
    auto ids = tokenize(readTextCorpus(path.toStdString()), tokenizer);
    if (ids.empty())
        fail("{}: no tokens (an empty file?)", path.toStdString());
    return ids;
}

} // namespace

void WorkerCore::recover(int job, const RecoverSettings& r)
{
    requireModel();
    const auto found = m_session.plans().find(r.plan.toStdString());
    if (found == m_session.plans().end())
        fail("Recover: the session has no plan '{}'; run a method first", r.plan.toStdString());
    const Plan plan = found->second.plan;
    const std::string name = recoveredPlanName(plan.name, r.planName.toStdString());
    if (const std::string problem = recoveredPlanNameProblem(m_session, plan.name, name); !problem.empty())
        fail("Recover: {}", problem);
    const QString run = QString::fromStdString(name);
    LoraOptions lo;
    try { // refused before the model is copied
        parseLoraTargets(r.targets.toStdString(), lo);
    } catch (const Error& e) {
        fail("Recover: adapters on: {}", e.what());
    }

    FinetuneOptions fo;
    fo.objective = parseObjective(r.objective.toStdString());
    stage(job, tr("Applying plan %1").arg(r.plan));
    auto model = trainingCopy(*m_model, m_device.toStdString(), plan, sessionTensorSource(m_session));
    if (!checkpoint(job))
        throw Cancelled();

    std::unique_ptr<MoeModel> teacher; // distillation: the original model, no plan
    if (fo.objective == FinetuneObjective::Distill) {
        stage(job, tr("Opening the original model as the teacher"));
        teacher = residentCopy(*m_model, m_device.toStdString());
        fo.teacher = teacher.get();
        fo.temperature = r.temperature;
        fo.distillWeight = r.distillWeight;
        if (!checkpoint(job))
            throw Cancelled();
    }

    stage(job, tr("Reading training text"));
    const Tokenizer tokenizer = Tokenizer::fromFile(trainingTokenizerPath(*m_model));
    const QString trainPath = r.trainPath.isEmpty() ? demoCalibrationPath() : r.trainPath;
    if (trainPath.isEmpty())
        fail("Recover: no training text chosen and the demo's calib.txt was not found");
    const LoraTrainData train = readLoraTrainData(trainPath.toStdString(), tokenizer); // text or instruction pairs
    QString heldOutPath = r.heldOutPath.isEmpty() ? demoFilePath(QStringLiteral("eval.txt")) : r.heldOutPath;
    if (heldOutPath == QLatin1String("-"))
        heldOutPath.clear();
    const auto heldOut = heldOutPath.isEmpty() ? std::vector<int32_t>{} : tokenizeFile(heldOutPath, tokenizer);

    lo.rank = r.rank;
    lo.alpha = r.alpha;
    lo.dropout = r.dropout;
    lo.seed = r.seed;
    auto adapters = attachLora(*model, lo);
    fo.steps = r.steps;
    fo.lr = r.lr;
    fo.weightDecay = r.weightDecay;
    fo.batchSize = r.batchSize;
    fo.accumulation = r.accumulation;
    fo.seqLen = r.sequenceLength;
    if (const int64_t context = model->spec().maxPositionEmbeddings; context > 1)
        fo.seqLen = std::min<int64_t>(fo.seqLen, context - 1);
    fo.evalEvery = std::max(1, r.evalEvery);
    fo.evalBlocks = r.evalBlocks;
    fo.warmupSteps = r.warmupSteps >= 0 ? r.warmupSteps // auto: a tenth of the steps, at most 10
                                        : std::min<int64_t>(10, std::max<int64_t>(0, r.steps / 10));
    fo.patience = r.patience;
    fo.seed = r.seed;
    fo.checkpointEvery = r.checkpointEvery;
    fo.resume = r.resume;
    if (fo.checkpointEvery > 0 || fo.resume) // where `finetune` keeps it, so either can continue the other's
        fo.checkpoint = defaultLoraCheckpoint(workingSessionPath(), plan.name);
    if (fo.resume && std::filesystem::exists(fo.checkpoint))
        stage(job, tr("Resuming from %1").arg(QString::fromStdString(fo.checkpoint.string())));

    stage(job, tr("Fine-tuning %1 (LoRA rank %2)").arg(r.plan).arg(r.rank));
    const FinetuneResult result = finetuneLora(*model, adapters, train, heldOut, fo,
        [this, job, run](const FinetuneReport& report) {
            LossPoint point{run, report.step, report.steps, report.loss, report.lr,
                report.heldOutPerplexity.value_or(kNaN), report.heldOutObjective.value_or(kNaN)};
            point.restored = report.restored; // a resumed run's earlier steps come first: the curve is whole
            m_facade->post(job, Delivery::Live, [point](Worker& w) { Q_EMIT w.lossPointReady(point); });
            return progress(job, double(report.step) / double(std::max<int64_t>(1, report.steps)));
        });
    { // after training: the held-out values before it (step 0) and the kept adapters' step
        LossPoint point{run, 0, result.steps, kNaN, 0, kNaN, kNaN, result.bestStep};
        if (!result.heldOut.empty() && result.heldOut.front().first == 0) {
            point.heldOutPerplexity = result.heldOut.front().second;
            point.heldOutObjective = result.heldOutObjective.front();
        }
        if (result.heldOut.empty()) // no held-out text: nothing was selected, the last step's adapters are kept
            point.keptStep = result.steps;
        m_facade->post(job, Delivery::Live, [point](Worker& w) { Q_EMIT w.lossPointReady(point); });
    }

    stage(job, tr("Saving session"));
    storeRecoveredPlan(m_session, plan, name, adapters, lo, fo, result,
        {loraTargetsText(lo), trainPath.toStdString(), heldOutPath.toStdString(), !train.pairs.empty()});
    m_session.provenance().timings["finetune"] = result.seconds;
    m_session.save(workingSessionPath());
    m_facade->post(job, Delivery::Current, [run](Worker& w) { Q_EMIT w.planStored(run); });
}

} // namespace moewb::gui
