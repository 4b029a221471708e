// moe-compress train-report MODEL --train FILE --valid FILE --test FILE [--tasks FILE] [--json]:
// the bars of a trained demo model (issue #8, docs/demo-models.md): test perplexity next to an
// interpolated bigram on the same tokenisation, per-layer routing entropy and expert shares on the
// test text, multiple-choice accuracy, and the size and cost recorded in training.json.
#include "app/cli/commands.h"
#include "core/calib/dataset.h"
#include "core/eval/multiple_choice.h"
#include "core/eval/perplexity.h"
#include "core/io/error.h"
#include "core/io/param_count.h"
#include "core/io/text_format.h"
#include "core/io/tokenizer.h"
#include "core/train/demo_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cmath>
#include <fstream>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct ReportOptions {
    std::string model, train, valid, test, tasks;
    int64_t window = 128;
    bool json = false;
};

std::vector<int32_t> ids(const std::string& path, const Tokenizer& tokenizer)
{
    return tokenize(readTextCorpus(path, TextFormat::Plain), tokenizer);
}

void runReport(const ReportOptions& o, const GlobalOptions& global)
{
    prepareRuntime(global);
    const fs::path dir(o.model);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        fail("{}: {}", o.model, fs::exists(dir, ec) ? "not a model folder" : "no such model folder");
    const auto tokenizer = Tokenizer::fromFile(dir / "tokenizer.json");
    auto model = MoeModel::open(dir, ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    const auto& spec = model->spec();
    const auto test = ids(o.test, tokenizer);
    const auto blocks = makeBlocks(test, BlockOptions{0, o.window, BlockSelection::Sequential, 0}, o.test);
    nlohmann::json j;
    j["model"] = o.model;
    j["architecture"] = spec.modelType;
    const auto counts = countParameters(spec);
    j["parameters"] = counts.total;
    j["active_parameters"] = counts.active;
    if (std::ifstream f(dir / "training.json"); f) {
        const auto log = nlohmann::json::parse(f);
        j["training_tokens"] = log.at("summary").at("tokens");
        j["training_seconds"] = log.at("summary").at("seconds");
    }
    const auto ppl = perplexity(modelLogits(*model), blocks.ids);
    j["test_perplexity"] = ppl.perplexity;
    j["test_tokens"] = ppl.predictedTokens;
    const auto bigram = bigramBaseline(ids(o.train, tokenizer), ids(o.valid, tokenizer), test,
                                       static_cast<int64_t>(tokenizer.vocabSize()), o.window);
    j["bigram_test_perplexity"] = bigram.testPerplexity;
    j["bigram_lambda"] = bigram.lambda;
    double worstEntropy = 0, worstShare = 1;
    for (const auto& r : routingReport(*model, blocks.ids)) {
        j["routing"].push_back({{"layer", r.layer}, {"experts", r.experts}, {"entropy_ratio", r.entropyRatio},
                                {"min_share", r.minShare}, {"max_share", r.maxShare}});
        worstEntropy = std::max(worstEntropy, r.entropyRatio);
        worstShare = std::min(worstShare, r.minShare);
    }
    j["max_entropy_ratio"] = worstEntropy;
    j["min_expert_share"] = worstShare;
    if (!o.tasks.empty()) {
        const auto task = readMultipleChoiceTask(o.tasks);
        const auto questions = encodeQuestions(task, tokenizer, {});
        const auto mc = scoreMultipleChoice(modelLogits(*model), questions);
        j["mc_questions"] = questions.size();
        j["mc_choices"] = task.questions.empty() ? 0 : task.questions.front().choices.size();
        j["mc_acc"] = mc.acc;
        j["mc_acc_stderr"] = mc.accStderr;
        j["mc_acc_norm"] = mc.accNorm;
    }
    if (o.json) {
        fmt::print("{}\n", j.dump(2));
        return;
    }
    fmt::print("{} ({}): {} parameters, {} active per token\n", o.model, spec.modelType, grouped(counts.total),
               grouped(counts.active));
    if (j.contains("training_tokens"))
        fmt::print("trained on {} tokens in {:.0f} s\n", grouped(j["training_tokens"].get<uint64_t>()),
                   j["training_seconds"].get<double>());
    fmt::print("test perplexity {:.2f} over {} predictions; interpolated bigram {:.2f} (lambda {:.2f})\n",
               ppl.perplexity, grouped(static_cast<uint64_t>(ppl.predictedTokens)), bigram.testPerplexity,
               bigram.lambda);
    fmt::print("routing on the test text (entropy / log E, share of top-k assignments):\n");
    for (const auto& r : j["routing"])
        fmt::print("  layer {:2}: entropy {:.3f}, expert share min {:.2f}% max {:.2f}%\n", r["layer"].get<int>(),
                   r["entropy_ratio"].get<double>(), 100 * r["min_share"].get<double>(),
                   100 * r["max_share"].get<double>());
    if (j.contains("mc_acc"))
        fmt::print("multiple choice: acc {:.3f} +- {:.3f}, acc_norm {:.3f} ({} questions, chance {:.3f})\n",
                   j["mc_acc"].get<double>(), j["mc_acc_stderr"].get<double>(), j["mc_acc_norm"].get<double>(),
                   j["mc_questions"].get<size_t>(), 1.0 / j["mc_choices"].get<double>());
}

} // namespace

void registerTrainReport(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<ReportOptions>();
    auto* cmd = app.add_subcommand("train-report", "Quality bars of a trained model: perplexity vs a bigram, "
                                                   "routing entropy and expert shares, multiple choice");
    cmd->add_option("model", o->model, "Checkpoint folder with tokenizer.json")->required();
    cmd->add_option("--train", o->train, "Training text (for the bigram's counts)")->required();
    cmd->add_option("--valid", o->valid, "Validation text (picks the bigram's interpolation weight)")->required();
    cmd->add_option("--test", o->test, "Held-out text scored by both")->required();
    cmd->add_option("--tasks", o->tasks, "Multiple-choice task (JSONL: context, choices, gold)");
    cmd->add_option("--window", o->window, "Tokens per scoring window")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o, &global] { runReport(*o, global); });
}

} // namespace moewb::cli
