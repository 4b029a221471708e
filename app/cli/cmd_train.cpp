// moe-compress train --arch mixtral|qwen|deepseek --tokenizer DIR --train FILE --valid FILE --out DIR:
// trains a small MoE model from scratch through the project's own forward pass (core/train) and
// writes it as a Hugging Face checkpoint. This is how the demo models in resources/demo are made.
// Interrupted training resumes from WORK/state (Ctrl-C saves a resume point first).
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/validators.h"
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/text_format.h"
#include "core/io/tokenizer.h"
#include "core/train/demo_arch.h"
#include "core/train/trainer.h"

#include <fmt/format.h>
#include <torch/types.h>

#include <cmath>
#include <unistd.h>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct TrainCommandOptions {
    std::string arch = "qwen", tokenizer, train, valid, out, work;
    TrainOptions train_;
};

std::vector<int32_t> tokenizeFile(const std::string& path, const Tokenizer& tokenizer)
{
    const auto corpus = readTextCorpus(path, TextFormat::Plain);
    return tokenize(corpus, tokenizer);
}

void runTrain(const TrainCommandOptions& o, const GlobalOptions& global)
{
    prepareRuntime(global);
    const auto tokenizer = Tokenizer::fromFile(fs::path(o.tokenizer) / "tokenizer.json");
    const auto train = tokenizeFile(o.train, tokenizer);
    const auto valid = tokenizeFile(o.valid, tokenizer);
    DemoConfigOptions c;
    c.vocabSize = static_cast<int>(tokenizer.vocabSize());
    c.bosTokenId = tokenizer.bosId().value_or(tokenizer.eosId().value_or(0));
    c.eosTokenId = tokenizer.eosId().value_or(0);
    const auto config = demoConfig(parseDemoArch(o.arch), c);
    const fs::path work = o.work.empty() ? fs::path(o.out + ".work") : fs::path(o.work);
    if (fs::exists(o.out) && !fs::is_empty(o.out))
        fail("{}: already exists and is not empty; remove it or choose another --out", o.out);
    fmt::print(stderr, "train: {} tokens, valid: {} tokens, vocabulary {}\n", grouped(train.size()),
               grouped(valid.size()), tokenizer.vocabSize());

    Trainer trainer(config, work, o.train_);
    installInterruptHandler();
    const bool terminal = isatty(fileno(stderr));
    const auto& t = o.train_;
    ProgressBar bar(fmt::format("training {}", o.arch), static_cast<double>(t.steps * t.batchSize * t.seqLen));
    const auto summary = trainer.run(train, valid, [&](const TrainStepReport& r) {
        const bool alive = bar.update(static_cast<double>(r.step) / static_cast<double>(r.steps));
        if (r.validLoss || (!terminal && r.step % 50 == 0))
            fmt::print(stderr, "\nstep {}/{}: loss {:.4f} aux {:.3f} lr {:.2e} {:.0f} tok/s{}\n", r.step, r.steps,
                       r.crossEntropy, r.auxLoss, r.lr, r.tokensPerSecond,
                       r.validLoss ? fmt::format(", valid loss {:.4f} (ppl {:.2f})", *r.validLoss, std::exp(*r.validLoss))
                                   : std::string());
        return alive;
    });
    bar.finish();
    if (summary.resumedFromStep > 0)
        fmt::print(stderr, "resumed from step {}\n", summary.resumedFromStep);
    writeTrainedCheckpoint(trainer.model(), config, o.tokenizer, o.out, summary.log);
    fmt::print("{}: {} steps, {} tokens, {:.0f} s, validation perplexity {:.2f}\n", o.out, summary.steps,
               grouped(static_cast<uint64_t>(summary.tokens)), summary.seconds, std::exp(summary.finalValidLoss));
}

} // namespace

void registerTrain(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<TrainCommandOptions>();
    auto* cmd = app.add_subcommand("train", "Train a small MoE model from scratch (how the demo models are made)");
    cmd->add_option("--arch", o->arch, "Architecture: mixtral, qwen or deepseek")->capture_default_str();
    cmd->add_option("--tokenizer", o->tokenizer, "Folder with tokenizer.json and tokenizer_config.json")->required();
    cmd->add_option("--train", o->train, "Training text (UTF-8)")->required();
    cmd->add_option("--valid", o->valid, "Validation text (UTF-8)")->required();
    cmd->add_option("--out", o->out, "Output checkpoint folder (must not exist)")->required();
    cmd->add_option("--work", o->work, "Work folder for initial weights and resume points (default OUT.work)");
    auto& t = o->train_;
    cmd->add_option("--steps", t.steps, "Optimizer steps")->check(CLI::Range(int64_t{1}, int64_t{1} << 40))->capture_default_str();
    cmd->add_option("--batch", t.batchSize, "Sequences per step")->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
    cmd->add_option("--seq-len", t.seqLen, "Tokens per sequence")->check(CLI::Range(int64_t{2}, int64_t{1} << 16))->capture_default_str();
    cmd->add_option("--lr", t.lr, "Peak learning rate")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--warmup", t.warmupSteps, "Linear warm-up steps")->check(CLI::Range(int64_t{0}, int64_t{1} << 40))->capture_default_str();
    cmd->add_option("--weight-decay", t.weightDecay, "AdamW weight decay (matrices)")->check(nonNegativeNumber())->capture_default_str();
    cmd->add_option("--router-weight-decay", t.routerWeightDecay, "AdamW weight decay of router matrices")
        ->check(nonNegativeNumber())
        ->capture_default_str();
    cmd->add_option("--router-init-std", t.routerInitStd, "Initial router weights' std (0: the config's)")
        ->check(nonNegativeNumber())
        ->capture_default_str();
    cmd->add_option("--aux", t.auxLossCoef, "Load-balancing loss weight")->check(nonNegativeNumber())->capture_default_str();
    cmd->add_option("--seed", t.seed, "Seed for initial weights and batches")->capture_default_str();
    cmd->add_option("--checkpoint-every", t.checkpointEvery, "Steps between resume points")->check(CLI::Range(int64_t{1}, int64_t{1} << 40))->capture_default_str();
    cmd->add_option("--eval-every", t.evalEvery, "Steps between validation passes")->check(CLI::Range(int64_t{1}, int64_t{1} << 40))->capture_default_str();
    cmd->callback([o, &global] { runTrain(*o, global); });
}

} // namespace moewb::cli
