// moe-compress eval MODEL (--text FILE | --ids FILE | --tasks FILE.jsonl) [--compare OTHER] [--json]:
// perplexity over non-overlapping windows, KL divergence from a reference model on the same blocks,
// zero-shot multiple choice (acc, acc_norm), tokens/s and peak working set (methods.md 4).
// With --compare OTHER, OTHER is the reference: it runs first on its own, its next-token
// distributions are kept (all, or the top K with --top-k), then MODEL runs on its own.
#include "app/cli/commands.h"
#include "app/cli/eval_report.h"
#include "app/cli/progress.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/eval/perplexity.h"
#include "core/io/error.h"
#include "core/io/param_count.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/model/residency.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/util/runtime.h"

#include <fmt/format.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct EvalCommandOptions {
    std::string model, compare, text, ids, tasks, tokenizer;
    std::string session, plan; // evaluate the model with a session's plan applied
    bool compareOriginal = false, noSave = false;
    std::string format = "auto", field = "text";
    int64_t blockLength = 0, blocks = 0, topK = 0, batchTokens = 2048, maxReferenceMiB = 2048;
    std::string dtype = "auto", device = "cpu";
    bool json = false;
};


torch::ScalarType computeDtype(const std::string& name, const ModelSpec& spec, const torch::Device& device)
{
    if (name == "fp32")
        return torch::kFloat;
    if (name == "fp64")
        return torch::kDouble;
    if (name == "bf16")
        return torch::kBFloat16;
    // auto: bf16 checkpoints compute in bf16 only where bf16 is fast (GPU, or a CPU with AVX512-BF16
    // or AMX); without that LibTorch's CPU bf16 matmul is ~15x slower than fp32.
    const bool bf16Checkpoint = spec.dtype == DType::BF16;
    return bf16Checkpoint && (device.is_cuda() || cpuHasFastBf16()) ? torch::kBFloat16 : torch::kFloat;
}

std::string dtypeLabel(torch::ScalarType t)
{
    return t == torch::kFloat ? "fp32" : t == torch::kDouble ? "fp64" : t == torch::kBFloat16 ? "bf16" : "?";
}

struct LoadedModel {
    std::unique_ptr<MoeModel> model;
    ModelEvaluation info;
};

LoadedModel openModel(const std::string& path, const std::string& role, const EvalCommandOptions& o,
    const torch::Device& device, std::optional<torch::ScalarType>& dtype, const Session* session = nullptr,
    const Plan* plan = nullptr)
{
    // Both models compute in the dtype chosen for the first, so a comparison measures the models.
    if (!dtype)
        dtype = computeDtype(o.dtype, loadModelSpec(fs::path(path) / "config.json"), device);
    LoadedModel m;
    ResidencyDecision residency;
    m.model = moewb::openModel(path, ComputeOptions{*dtype, device}, std::nullopt, &residency);
    m.info.weights = residency.reason;
    m.info.role = role;
    m.info.path = path;
    m.info.architecture = m.model->spec().architectureName;
    m.info.layers = m.model->spec().numLayers;
    m.info.vocab = m.model->spec().vocabSize;
    m.info.parameters = countParameters(m.model->spec()).total;
    for (const auto& file : m.model->checkpoint().files())
        m.info.bytesOnDisk += file->fileSize();
    if (plan) {
        requireSessionModel(*session, *m.model); // the plan (and its tensors) were made for that checkpoint
        const auto applied = applyPlan(*m.model, *plan, sessionTensorSource(*session));
        m.info.plan = plan->name;
        m.info.parameters = applied.parameters;
        m.info.bytesOnDisk = applied.weightBytes; // what an export of the plan writes
        m.info.layers = applied.keptLayers;
    }
    return m;
}

// The evaluation as the session stores it (metrics by name, the report's details as JSON).
Evaluation sessionEvaluation(const EvalCommandOptions& o, const EvalReport& report, const ModelEvaluation& m)
{
    Evaluation e;
    e.plan = o.plan;
    std::vector<std::string> parts{o.plan};
    if (!o.text.empty())
        parts.push_back(fs::path(o.text).filename().string());
    if (!o.ids.empty())
        parts.push_back(fs::path(o.ids).filename().string());
    if (!o.tasks.empty())
        parts.push_back(fs::path(o.tasks).filename().string());
    e.name = fmt::format("{}", fmt::join(parts, " / "));
    e.metrics["params"] = static_cast<double>(m.parameters);
    e.metrics["bytes"] = static_cast<double>(m.bytesOnDisk);
    if (m.perplexity) {
        e.metrics["perplexity"] = m.perplexity->perplexity;
        e.metrics["tokens_per_s"] = m.perplexity->run.tokensPerSecond;
        e.metrics["peak_rss_bytes"] = static_cast<double>(m.perplexity->run.peakRssAnonBytes);
    }
    if (report.kl) {
        e.metrics["kl"] = report.kl->meanKl;
        e.metrics["top1_agreement"] = report.kl->top1Agreement;
    }
    if (m.tasks) {
        e.metrics["acc"] = m.tasks->acc;
        e.metrics["acc_norm"] = m.tasks->accNorm;
    }
    e.details = {{"text", o.text}, {"ids", o.ids}, {"tasks", o.tasks}, {"dtype", report.dtype},
                 {"block_length", report.blocks ? report.blocks->length() : 0},
                 {"blocks", report.blocks ? report.blocks->count() : 0}};
    return e;
}

Tokenizer loadTokenizer(const EvalCommandOptions& o)
{
    const fs::path path = o.tokenizer.empty() ? fs::path(o.model) / "tokenizer.json" : fs::path(o.tokenizer);
    std::error_code ec;
    if (o.tokenizer.empty() && !fs::exists(path, ec))
        fail(
            "{}: no tokenizer.json in the model folder; pass --tokenizer FILE (or --ids FILE with token ids)",
            o.model);
    return Tokenizer::fromFile(path);
}

void requireVocabulary(const TokenBlocks& blocks, int64_t vocab, const std::string& tokenizer)
{
    const auto top = blocks.ids.max().item<int64_t>();
    if (top >= vocab)
        fail("{}: token id {} is outside the model's vocabulary of {}{}", blocks.source, top, vocab,
            tokenizer.empty() ? "" : fmt::format(" (tokenizer {} does not fit this model)", tokenizer));
}

// "FOLDER (role)" or "FOLDER (compressed, plan 'P')": names the model in a metric's errors.
std::string modelLabel(const ModelEvaluation& m)
{
    return m.plan.empty() ? fmt::format("{} ({})", m.path.string(), m.role)
                          : fmt::format("{} ({}, plan '{}')", m.path.string(), m.role, m.plan);
}

// Progress of one stage through a bar; Ctrl-C makes it return false.
ProgressFn barProgress(ProgressBar& bar)
{
    return [&bar](double f) { return bar.update(f); };
}

void run(const EvalCommandOptions& o, const GlobalOptions& global)
{
    if (o.text.empty() && o.ids.empty() && o.tasks.empty())
        fail("eval: nothing to evaluate on: give --text FILE, --ids FILE or --tasks FILE.jsonl");
    prepareRuntime(global);
    installInterruptHandler();
    const auto device = parseDevice(o.device);
    std::optional<torch::ScalarType> dtype;

    EvalReport report;
    std::optional<Session> session;
    const Plan* plan = nullptr;
    if (!o.session.empty()) {
        session = Session::open(o.session);
        if (o.plan.empty())
            fail("eval: --session needs --plan NAME (the plan to apply)");
        plan = &sessionPlan(*session, o.plan, o.session);
        if (!o.noSave)
            Session::requireSavable(o.session); // fail before the evaluation, not after it
    } else if (!o.plan.empty() || o.compareOriginal) {
        fail("eval: --plan and --compare-original need --session S.h5");
    }
    auto model = openModel(o.model, plan ? "compressed" : "model", o, device, dtype, session ? &*session : nullptr, plan);
    std::optional<LoadedModel> reference;
    if (!o.compare.empty())
        reference = openModel(o.compare, "reference", o, device, dtype);
    else if (o.compareOriginal)
        reference = openModel(o.model, "original", o, device, dtype);
    report.dtype = dtypeLabel(*dtype);
    report.device = device.str();
    report.threads = torch::get_num_threads();
    const auto& spec = model.model->spec();
    if (reference && reference->info.vocab != model.info.vocab)
        fail("--compare {}: vocabulary of {} tokens, {} has {}; KL needs the same vocabulary", o.compare,
            reference->info.vocab, o.model, model.info.vocab);

    std::optional<Tokenizer> tokenizer;
    if (!o.text.empty() || !o.tasks.empty()) {
        tokenizer = loadTokenizer(o);
        report.tokenizer = tokenizer->source();
    }
    EvalOptions evalOptions;
    evalOptions.batchTokens = o.batchTokens;

    if (!o.text.empty() || !o.ids.empty()) {
        BlockOptions bo;
        bo.blocks = o.blocks;
        bo.blockLength = o.blockLength > 0
            ? o.blockLength
            : std::min<int64_t>(512, spec.maxPositionEmbeddings > 0 ? spec.maxPositionEmbeddings : 512);
        bo.selection = BlockSelection::Sequential;
        if (spec.maxPositionEmbeddings > 0 && bo.blockLength > spec.maxPositionEmbeddings)
            fail("--block-length {}: longer than the model's {} positions (max_position_embeddings)",
                bo.blockLength, spec.maxPositionEmbeddings);
        if (!o.text.empty()) {
            const auto format = o.format == "plain" ? TextFormat::Plain
                : o.format == "jsonl"               ? TextFormat::Jsonl
                                                    : TextFormat::Auto;
            report.blocks = loadTextBlocks(o.text, *tokenizer, bo, format, o.field);
            report.blocksKind = "text";
        } else {
            report.blocks = loadTokenIdBlocks(o.ids, bo, spec.vocabSize);
            report.blocksKind = "ids";
        }
        requireVocabulary(*report.blocks, spec.vocabSize, report.tokenizer);
        const auto& blocks = *report.blocks;
        const auto tokens = static_cast<double>(blocks.tokens());
        if (reference) {
            const auto bytes = referenceBytes(blocks.count(), blocks.length(), spec.vocabSize, o.topK);
            if (bytes > o.maxReferenceMiB * (int64_t{1} << 20))
                fail("--compare: keeping the reference's {} distributions needs {:.0f} MiB (limit {} MiB); "
                     "pass --top-k K "
                     "(e.g. 1024) to keep only the top K tokens, fewer --blocks, or a larger "
                     "--max-reference-mib",
                    o.topK > 0 ? fmt::format("top-{}", o.topK) : std::string("full"), bytes / 1048576.0,
                    o.maxReferenceMiB);
            ReferenceDistribution captured;
            {
                // "reference OTHER", or "original MODEL" with --compare-original
                ProgressBar bar(reference->info.role + " " + reference->info.path.filename().string(), tokens);
                evalOptions.progress = barProgress(bar);
                evalOptions.model = modelLabel(reference->info);
                captured = captureReference(modelLogits(*reference->model), blocks.ids, o.topK, evalOptions);
            }
            {
                ProgressBar bar("model " + fs::path(o.model).filename().string(), tokens);
                evalOptions.progress = barProgress(bar);
                evalOptions.model = modelLabel(model.info);
                report.kl = compareWithReference(captured, modelLogits(*model.model), evalOptions);
            }
            reference->info.perplexity = report.kl->reference;
            model.info.perplexity = report.kl->candidate;
        } else {
            ProgressBar bar("perplexity " + fs::path(o.model).filename().string(), tokens);
            evalOptions.progress = barProgress(bar);
            evalOptions.model = modelLabel(model.info);
            model.info.perplexity = perplexity(modelLogits(*model.model), blocks.ids, evalOptions);
        }
    }

    if (!o.tasks.empty()) {
        report.task = readMultipleChoiceTask(o.tasks);
        MultipleChoiceOptions mo;
        mo.batchTokens = o.batchTokens;
        mo.maxLength = spec.maxPositionEmbeddings;
        const auto questions = encodeQuestions(*report.task, *tokenizer, mo);
        for (const auto& q : questions)
            for (const auto& c : q.choices)
                for (const auto* part : {&c.context, &c.continuation})
                    for (int32_t id : *part)
                        if (id >= spec.vocabSize)
                            fail("{}: token id {} is outside the model's vocabulary of {} (tokenizer {} does "
                                 "not fit "
                                 "this model)",
                                o.tasks, id, spec.vocabSize, report.tokenizer);
        auto score = [&](LoadedModel& m) {
            ProgressBar bar(
                "tasks " + m.info.path.filename().string(), static_cast<double>(questions.size()), "q");
            mo.progress = barProgress(bar);
            m.info.tasks = scoreMultipleChoice(modelLogits(*m.model), questions, mo);
        };
        if (reference)
            score(*reference);
        score(model);
    }

    std::optional<Evaluation> evaluation;
    if (session && !o.noSave)
        evaluation = sessionEvaluation(o, report, model.info);
    report.models.push_back(std::move(model.info));
    if (reference)
        report.models.push_back(std::move(reference->info));
    // The results first: a session that cannot be stored after all (it changed on disk, the disk
    // filled up) still leaves them on the screen.
    if (o.json)
        printReportJson(report);
    else
        printReport(report);
    std::fflush(stdout);
    if (evaluation) {
        session->setEvaluation(std::move(*evaluation));
        session->save(o.session);
    }
}

} // namespace

void registerEval(CLI::App& app, GlobalOptions& global)
{
    auto options = std::make_shared<EvalCommandOptions>();
    auto* cmd = app.add_subcommand("eval",
        "Perplexity, KL divergence from a reference, zero-shot multiple choice, "
        "tokens/s and peak memory of a model");
    cmd->add_option("model", options->model, "Model folder (config.json + safetensors)")
        ->required()
        ->check(CLI::ExistingDirectory);
    auto* text = cmd->add_option("--text", options->text,
                        "Text for perplexity: plain text, or JSONL with a 'text' field")
                     ->check(CLI::ExistingFile);
    auto* ids
        = cmd->add_option("--ids", options->ids, "Token ids for perplexity: whitespace-separated integers")
              ->check(CLI::ExistingFile);
    text->excludes(ids);
    ids->excludes(text);
    cmd->add_option("--tasks", options->tasks,
           "Multiple-choice questions, JSONL: {\"context\", \"choices\", \"gold\"}")
        ->check(CLI::ExistingFile);
    auto* compare = cmd->add_option("--compare", options->compare,
           "Reference model folder: KL(reference || model) and both side by side")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--session", options->session, "Session file holding the plan to apply (with --plan)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--plan", options->plan, "Evaluate MODEL with this plan of the session applied");
    cmd->add_flag("--compare-original", options->compareOriginal,
           "With --plan: the unmodified MODEL is the reference (KL, side by side)")
        ->excludes(compare);
    cmd->add_flag("--no-save", options->noSave, "With --session: do not store the evaluation in the session");
    cmd->add_option(
           "--tokenizer", options->tokenizer, "tokenizer.json to use (default: MODEL/tokenizer.json)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--format", options->format, "Text file format")
        ->check(CLI::IsMember({"auto", "plain", "jsonl"}))
        ->capture_default_str();
    cmd->add_option("--field", options->field, "JSONL field holding the text")->capture_default_str();
    cmd->add_option("-s,--block-length", options->blockLength,
           "Tokens per window (default: min(512, max_position_embeddings))")
        ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
    cmd->add_option("-n,--blocks", options->blocks, "Windows to evaluate (0 = every whole window)")
        ->check(nonNegativeNumber());
    cmd->add_option(
           "--top-k", options->topK, "KL: keep the reference's top K tokens per position (0 = exact)")
        ->check(nonNegativeNumber())
        ->capture_default_str();
    cmd->add_option("--max-reference-mib", options->maxReferenceMiB,
           "KL: memory allowed for the reference's distributions")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->add_option("--batch-tokens", options->batchTokens, "Tokens per forward pass")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->add_option("--dtype", options->dtype,
           "Compute dtype (auto: bf16 for bf16 checkpoints where bf16 is fast, else fp32)")
        ->check(CLI::IsMember({"auto", "fp32", "fp64", "bf16"}))
        ->capture_default_str();
    cmd->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_flag("--json", options->json, "Print the results as JSON");
    cmd->callback([options, &global] { run(*options, global); });
}

} // namespace moewb::cli
