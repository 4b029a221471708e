// moe-compress finetune S.h5 --plan NAME --train FILE [--valid FILE] [--steps 200] [--lr 1e-3]
// [--lora-rank 8] [--lora-alpha 16] [--dropout 0.05] [--targets attention,experts,shared]
// [--checkpoint FILE --checkpoint-every N --resume] [--objective lm|distill --temperature T
// --distill-weight A] [--json]:
// LoRA recovery fine-tuning of a session's compressed model (methods.md 1.6, docs/lora.md) on text or
// on JSONL instruction pairs (prompt/response or instruction/input/output: loss on the response). The trained
// adapters become low-rank deltas: a new plan "<plan>-lora" (the plan's steps + apply_delta steps) and
// their tensors in the session, so eval, apply and export see the recovered model. With --objective
// distill the teacher is the original model (the same folder, no plan, same device and precision).
// With --valid the kept step is the one with the lowest held-out value of the training objective:
// perplexity for lm, the distillation objective (A T^2 KL + (1 - A) CE) for distill.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/plan/apply.h"
#include "core/train/lora.h"
#include "core/train/lora_run.h"
#include "core/train/lora_train_data.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct FinetuneCommandOptions {
    std::string session, plan = "moe-i2", model, train, valid, tokenizer, planName, targets = "attention,experts,shared";
    std::string checkpoint, device = "cpu", objective = "lm";
    LoraOptions lora;
    FinetuneOptions fit;
    bool json = false;
};

std::vector<int32_t> tokenizeText(const std::string& path, const Tokenizer& tokenizer)
{
    auto ids = tokenize(readTextCorpus(path), tokenizer);
    if (ids.empty())
        fail("{}: no tokens (an empty file?)", path);
    return ids;
}

void run(FinetuneCommandOptions o, const GlobalOptions& global)
{
    prepareRuntime(global);
    installInterruptHandler();
    Session session = Session::open(o.session);
    Session::requireSavable(o.session); // the recovered plan goes there: fail before training, not after
    const Plan& plan = sessionPlan(session, o.plan, o.session);
    const std::string modelPath = sessionModelPath(session, o.model, o.session, "finetune");
    try {
        parseLoraTargets(o.targets, o.lora);
    } catch (const Error& e) {
        fail("--targets: {}", e.what());
    }
    const std::string name = recoveredPlanName(plan.name, o.planName);
    if (const std::string problem = recoveredPlanNameProblem(session, plan.name, name); !problem.empty())
        fail("--plan-name: {}", problem);
    o.fit.objective = parseObjective(o.objective);
    const ComputeOptions compute{torch::kFloat, parseDevice(o.device)};
    auto model = MoeModel::open(modelPath, compute);
    requireSessionModel(session, *model); // the plan's tensors were made for that checkpoint
    model->makeResident();
    std::unique_ptr<MoeModel> teacher; // distillation: the original model, no plan
    if (o.fit.objective == FinetuneObjective::Distill) {
        teacher = MoeModel::open(modelPath, compute);
        teacher->makeResident();
        o.fit.teacher = teacher.get();
    }
    applyPlan(*model, plan, sessionTensorSource(session));
    const fs::path tok = o.tokenizer.empty() ? fs::path(modelPath) / "tokenizer.json" : fs::path(o.tokenizer);
    const Tokenizer tokenizer = Tokenizer::fromFile(tok);
    const LoraTrainData train = readLoraTrainData(o.train, tokenizer);
    // A run stopped by Ctrl-C always leaves a checkpoint to --resume from; a finished one only when
    // checkpoints were asked for.
    o.fit.checkpoint = o.checkpoint.empty() ? defaultLoraCheckpoint(o.session, plan.name) : fs::path(o.checkpoint);
    o.fit.checkpointWhenDone = o.fit.checkpointEvery > 0 || o.fit.resume || !o.checkpoint.empty();
    const auto valid = o.valid.empty() ? std::vector<int32_t>{} : tokenizeText(o.valid, tokenizer);
    auto adapters = attachLora(*model, o.lora);
    int64_t loraParams = 0;
    for (const auto& a : adapters)
        loraParams += a.down.numel() + a.up.numel();

    FinetuneResult result;
    if (!o.json && !train.pairs.empty())
        fmt::print("finetune: {} instruction pairs from {} (loss on the responses)\n", train.pairs.size(), o.train);
    if (!o.json && o.fit.resume && fs::exists(o.fit.checkpoint))
        fmt::print("finetune: resuming from {}\n", o.fit.checkpoint.string());
    else if (!o.fit.resume && fs::exists(o.fit.checkpoint))
        fmt::print(stderr, "finetune: starting afresh; {} (an earlier run's checkpoint) is replaced if this run "
                           "stops early; --resume continues it\n", o.fit.checkpoint.string());
    {
        ProgressBar bar("fine-tune", static_cast<double>(o.fit.steps), "step");
        try {
            result = finetuneLora(*model, adapters, train, valid, o.fit,
                                  [&](const FinetuneReport& r) { // the bar counts the steps trained now
                                      return r.restored || bar.update(double(r.step) / double(r.steps));
                                  });
        } catch (const Cancelled&) {
            bar.finish();
            if (fs::exists(o.fit.checkpoint))
                fmt::print(stderr, "finetune: checkpoint in {}; continue with the same options and --resume\n",
                           o.fit.checkpoint.string());
            throw;
        }
    }
    const bool distill = o.fit.objective == FinetuneObjective::Distill;
    const bool withKl = distill && result.heldOutKl.size() == result.heldOut.size() && !result.heldOut.empty();
    const char* criterion = distill ? "distillation objective" : "perplexity";
    storeRecoveredPlan(session, plan, name, adapters, o.lora, o.fit, result,
                       {o.targets, o.train, o.valid, !train.pairs.empty()});
    session.provenance().timings["finetune"] = result.seconds;
    session.save(o.session);

    nlohmann::json heldOut = nlohmann::json::array();
    for (size_t i = 0; i < result.heldOut.size(); ++i) {
        heldOut.push_back({{"step", result.heldOut[i].first}, {"perplexity", result.heldOut[i].second}});
        if (withKl)
            heldOut.back().update({{"kl", result.heldOutKl[i]}, {"objective", result.heldOutObjective[i]}});
    }
    if (o.json) {
        std::cout << nlohmann::json{{"session", o.session}, {"plan", name}, {"base_plan", plan.name},
                                    {"adapters", adapters.size()}, {"lora_parameters", loraParams},
                                    {"objective", o.objective}, {"temperature", o.fit.temperature},
                                    {"distill_weight", o.fit.distillWeight},
                                    {"steps", result.steps}, {"resumed_from_step", result.resumedFromStep},
                                    {"instruction_pairs", train.pairs.size()}, {"early_stopped", result.earlyStopped},
                                    {"best_step", result.bestStep},
                                    {"selected_by", result.heldOut.empty() ? nlohmann::json() : nlohmann::json(criterion)},
                                    {"held_out", heldOut}, {"losses", result.losses},
                                    {"seconds", result.seconds}}
                         .dump(2)
                  << "\n";
        return;
    }
    fmt::print("finetune: plan '{}' -> '{}' in {}\n", plan.name, name, o.session);
    fmt::print("  {} adapters, {} trainable parameters (rank {}, alpha {}), {} steps in {:.1f} s{}\n", adapters.size(),
               loraParams, o.lora.rank, o.lora.alpha, result.steps, result.seconds,
               result.earlyStopped ? " (stopped early)" : "");
    if (result.resumedFromStep > 0)
        fmt::print("  resumed after step {} (the time includes the earlier run)\n", result.resumedFromStep);
    if (o.fit.objective == FinetuneObjective::Distill)
        fmt::print("  objective: distillation from the original model (temperature {}, weight {})\n", o.fit.temperature,
                   o.fit.distillWeight);
    if (!result.losses.empty())
        fmt::print("  training loss {:.4f} (first step) -> {:.4f} (last step)\n", result.losses.front(), result.losses.back());
    if (!result.heldOut.empty())
        fmt::print("  the kept step has the lowest held-out {}{}\n", criterion, distill ? " (A T^2 KL + (1 - A) CE)" : "");
    const char* klName = o.fit.temperature == 1 ? "KL" : "T^2 KL";
    for (size_t i = 0; i < result.heldOut.size(); ++i) {
        const auto [step, ppl] = result.heldOut[i];
        const std::string kl = withKl ? fmt::format(", {} {:.5f}", klName, result.heldOutKl[i]) : std::string();
        fmt::print("  held-out perplexity at step {:>5}: {:.3f}{}{}\n", step, ppl, kl, step == result.bestStep ? "  <- kept" : "");
    }
}

} // namespace

void registerFinetune(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<FinetuneCommandOptions>();
    auto* cmd = app.add_subcommand("finetune", "LoRA recovery fine-tuning of a session's compressed model; the adapters "
                                               "become a new plan '<plan>-lora'");
    cmd->add_option("session", o->session, "Session file (.h5)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--plan", o->plan, "Plan to recover")->capture_default_str();
    cmd->add_option("--model", o->model, "Model folder (default: the session's source; the same checkpoint, by identity hash)")->check(CLI::ExistingDirectory);
    cmd->add_option("--train", o->train, "Training text (plain or JSONL with a 'text' field), or JSONL instruction pairs "
                                         "({prompt, response} or {instruction, input, output}: loss on the response)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--valid", o->valid, "Held-out text: perplexity (distill: and KL) every --eval-every steps; the "
                                         "best step by the objective's held-out value is kept, early stop")->check(CLI::ExistingFile);
    cmd->add_option("--tokenizer", o->tokenizer, "tokenizer.json (default: MODEL/tokenizer.json)")->check(CLI::ExistingFile);
    cmd->add_option("--plan-name", o->planName, "Name of the recovered plan (default: PLAN-lora)")->check(planName());
    cmd->add_option("--steps", o->fit.steps, "Optimizer steps")->check(nonNegativeNumber())->capture_default_str();
    cmd->add_option("--lr", o->fit.lr, "Peak learning rate")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--warmup", o->fit.warmupSteps, "Warm-up steps (then linear decay)")->check(nonNegativeNumber())->capture_default_str();
    cmd->add_option("--weight-decay", o->fit.weightDecay, "AdamW weight decay")->check(nonNegativeNumber())->capture_default_str();
    cmd->add_option("--batch", o->fit.batchSize, "Sequences per micro-batch")->check(positiveNumber())->capture_default_str();
    cmd->add_option("-s,--seq-len", o->fit.seqLen, "Tokens per sequence")->check(CLI::Range(int64_t{2}, int64_t{1} << 16))->capture_default_str();
    cmd->add_option("--accumulation", o->fit.accumulation, "Micro-batches per step")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--eval-every", o->fit.evalEvery, "Steps between held-out evaluations")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--eval-blocks", o->fit.evalBlocks, "Held-out windows per evaluation")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--patience", o->fit.patience, "Evaluations without improvement before stopping (0: never)")->capture_default_str();
    cmd->add_option("--lora-rank", o->lora.rank, "Adapter rank")->check(CLI::Range(1, 4096))->capture_default_str();
    cmd->add_option("--lora-alpha", o->lora.alpha, "Adapter alpha (scale alpha / rank)")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--dropout", o->lora.dropout, "Dropout on the adapter inputs")->check(numberIn(0.0, 0.9))->capture_default_str();
    cmd->add_option("--targets", o->targets, "Modules with adapters: attention, experts, shared, dense")->capture_default_str();
    cmd->add_option("--device", o->device, "cpu, cuda or cuda:N (model and adapters live there)")->capture_default_str();
    cmd->add_option("--seed", o->fit.seed, "Seed (adapter init and batches)")->capture_default_str();
    cmd->add_option("--checkpoint", o->checkpoint, "Checkpoint file of the run (default: SESSION.PLAN-lora.ckpt). A run "
                                                   "stopped by Ctrl-C always writes it; a finished run only with "
                                                   "--checkpoint, --checkpoint-every or --resume");
    cmd->add_option("--checkpoint-every", o->fit.checkpointEvery, "Steps between checkpoints (0: none between; a "
                                                                  "stopped run still writes one, see --checkpoint)")
        ->check(nonNegativeNumber())->capture_default_str();
    cmd->add_flag("--resume", o->fit.resume, "Continue the run in --checkpoint (same settings); a fresh start when absent");
    cmd->add_option("--objective", o->objective, "lm: next-token cross-entropy; distill: KL to the original model's "
                                                 "logits (the teacher: the same model folder without the plan)")
        ->check(CLI::IsMember({"lm", "distill"}))->capture_default_str();
    cmd->add_option("--temperature", o->fit.temperature, "Distillation temperature T (the loss is scaled by T^2)")
        ->check(positiveNumber())->capture_default_str();
    cmd->add_option("--distill-weight", o->fit.distillWeight, "Distillation weight A: A * KL + (1 - A) * cross-entropy")
        ->check(numberIn(0.0, 1.0))->capture_default_str();
    cmd->add_flag("--json", o->json, "Print the results as JSON");
    cmd->callback([o, &global] {
        auto copy = *o;
        copy.lora.seed = copy.fit.seed;
        run(copy, global);
    });
}

} // namespace moewb::cli
