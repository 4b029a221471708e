// Shared by tst_recover and tst_recover_settings: Recover's tiny settings on the Qwen demo, the same
// fine-tuning run directly through core, Expert Drop as the plan to recover, the loss points a spy
// caught and the Advanced section's spin boxes.
#pragma once
#include "core/calib/dataset.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/train/lora.h"
#include "core/train/lora_run.h"
#include "core/train/lora_train_data.h"

#include "app/gui/main_window.h"
#include "app/gui/recover_panel.h"
#include "app/gui/worker.h"
#include "support/gui_jobs.h"

#include <QSignalSpy>
#include <QSpinBox>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>

namespace moewb::test {

// Recover's tiny settings on the demo: 2 x 32 tokens a step, LoRA rank 2, alpha 4.
inline moewb::gui::RecoverSettings tinyRecover(const QString& plan, int steps)
{
    moewb::gui::RecoverSettings r;
    r.plan = plan;
    r.trainPath = demo("calib.txt");
    r.heldOutPath = demo("eval.txt");
    r.steps = steps;
    r.lr = 1e-3;
    r.rank = 2;
    r.alpha = 4;
    r.batchSize = 2;
    r.sequenceLength = 32;
    r.evalEvery = 2;
    r.evalBlocks = 2;
    return r;
}

// The fine-tuning Recover ran with `r`, directly through core on the saved session's plan `r.plan`
// (distillation: the original Qwen demo as the teacher): its per-step losses, held-out values and
// kept step. With `checkpoint`, the run resumes it (and writes it) as finetune --resume does.
inline moewb::FinetuneResult coreRun(const moewb::Session& session, const moewb::gui::RecoverSettings& r,
    const std::filesystem::path& checkpoint = {}, const std::function<bool(const moewb::FinetuneReport&)>& onStep = {})
{
    using namespace moewb;
    const auto base = session.plans().find(r.plan.toStdString());
    if (base == session.plans().end())
        return {};
    const ComputeOptions compute{torch::kFloat, torch::kCPU};
    auto model = MoeModel::open(demo("models/qwen").toStdString(), compute);
    model->makeResident();
    applyPlan(*model, base->second.plan, sessionTensorSource(session));
    const auto tokenizer = Tokenizer::fromFile(model->path() / "tokenizer.json");
    const auto train = readLoraTrainData(r.trainPath.toStdString(), tokenizer);
    const auto heldOut = r.heldOutPath == QLatin1String("-")
        ? std::vector<int32_t>{}
        : tokenize(readTextCorpus(r.heldOutPath.toStdString()), tokenizer);
    LoraOptions lo;
    lo.rank = r.rank;
    lo.alpha = r.alpha;
    lo.dropout = r.dropout;
    lo.seed = r.seed;
    parseLoraTargets(r.targets.toStdString(), lo);
    auto adapters = attachLora(*model, lo);
    FinetuneOptions fo;
    fo.steps = r.steps;
    fo.lr = r.lr;
    fo.weightDecay = r.weightDecay;
    fo.seed = r.seed;
    fo.accumulation = r.accumulation;
    fo.batchSize = r.batchSize;
    fo.seqLen = r.sequenceLength;
    fo.evalEvery = r.evalEvery;
    fo.evalBlocks = r.evalBlocks;
    fo.warmupSteps = r.warmupSteps >= 0 ? r.warmupSteps : std::min(10, r.steps / 10); // -1: the GUI's auto
    fo.patience = r.patience;
    fo.objective = parseObjective(r.objective.toStdString());
    std::unique_ptr<MoeModel> teacher;
    if (fo.objective == FinetuneObjective::Distill) {
        teacher = MoeModel::open(demo("models/qwen").toStdString(), compute);
        teacher->makeResident();
        fo.teacher = teacher.get();
        fo.temperature = r.temperature;
        fo.distillWeight = r.distillWeight;
    }
    fo.checkpoint = checkpoint; // resumed when it exists
    fo.resume = !checkpoint.empty();
    return finetuneLora(*model, adapters, train, heldOut, fo, onStep);
}

// Opens the Qwen demo and runs Expert Drop 25 % on 2 x 32 calibration tokens: the plan Recover starts
// from. Returns its name (empty when a step failed).
inline QString expertDropOnQwen(moewb::gui::MainWindow& w)
{
    if (!openDemoModel(w, "qwen"))
        return {};
    moewb::gui::RunSettings s = demoRun(QStringLiteral("expert-drop"), 2, 32);
    s.methodParameters.dropRatio = 0.25;
    w.setRunSettings(s);
    if (!waitForJob(w, w.runMethod()))
        return {};
    QCoreApplication::processEvents();
    return QStringLiteral("expert-drop-layerwise-0.25");
}

// The Recover points `spy` caught (Worker::lossPointReady).
inline QList<moewb::gui::LossPoint> caught(const QSignalSpy& spy)
{
    QList<moewb::gui::LossPoint> points;
    for (const auto& args : spy)
        points.push_back(args.at(0).value<moewb::gui::LossPoint>());
    return points;
}

inline QSpinBox* advancedField(moewb::gui::RecoverPanel* panel, const char* name)
{
    return panel->findChild<QSpinBox*>(QLatin1String(name));
}

} // namespace moewb::test
