// moe-compress export S.h5 OUT_DIR [--plan NAME] [--format auto|standard|extended|dense]
// [--dtype bf16|fp16|fp32] [--shard-size 5GB] [--force] [--dry-run] [--no-verify] [--json]:
// writes a plan of the session as a checkpoint folder (core/export/export.h, docs/export.md). The
// session names the source model; the plan's factor, mask and delta tensors come from its tensor
// store. Prints the deployability report (kind, runtimes, size) before writing, then what the reload
// check measured.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/calib/dataset.h"
#include "core/export/export.h"
#include "core/export/provenance.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/train/lora_peft.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cctype>
#include <memory>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct ExportCommandOptions {
    std::string session, target, plan, model, format = "auto", dtype = "auto", shardSize = "5GB";
    int64_t verifyBlocks = 2, verifyLength = 64;
    bool force = false, dryRun = false, noVerify = false, json = false, peft = false;
};

// "5GB" (10^9, as transformers' max_shard_size), "500MB", "2GiB", "1048576".
uint64_t parseSize(const std::string& text)
{
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
        ++i;
    std::string unit = text.substr(i);
    for (auto& c : unit)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    static const std::pair<const char*, double> kUnits[] = {{"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
        {"TB", 1e12}, {"KIB", 1024.0}, {"MIB", 1048576.0}, {"GIB", 1073741824.0}};
    double value = 0;
    try {
        value = i > 0 ? std::stod(text.substr(0, i)) : -1;
    } catch (const std::exception&) {
        value = -1;
    }
    for (const auto& [name, scale] : kUnits)
        if (unit == name && value >= 0)
            return static_cast<uint64_t>(value * scale);
    fail("--shard-size '{}': expected a size such as 5GB, 500MB or 2GiB", text);
}

// The plan named `name`, or the session's only plan when no name is given.
const Plan& pickPlan(const Session& session, const std::string& name, const std::string& path)
{
    const auto& plans = session.plans();
    if (!name.empty() || plans.size() == 1)
        return name.empty() ? plans.begin()->second.plan : sessionPlan(session, name, path);
    if (plans.empty())
        fail("{}: holds no plan to export; run a method first (moe-compress run)", path);
    std::vector<std::string> names;
    for (const auto& [n, p] : plans)
        names.push_back("'" + n + "'");
    fail("{}: holds {} plans; choose one with --plan ({})", path, plans.size(), fmt::join(names, ", "));
}

// --verify-len as the reload check uses it: capped at the model's positions, with a note on stderr (it
// was capped at the calibration length, silently).
int64_t verifyLength(const ExportCommandOptions& o, const ModelSpec& spec)
{
    if (spec.maxPositionEmbeddings <= 0 || o.verifyLength <= spec.maxPositionEmbeddings)
        return o.verifyLength;
    fmt::print(stderr, "note: --verify-len {}: the reload check uses {} tokens per block (the model's "
                       "max_position_embeddings)\n",
        o.verifyLength, spec.maxPositionEmbeddings);
    return spec.maxPositionEmbeddings;
}

// --verify-blocks x `length` calibration tokens for the reload check (a text file through the model's
// tokenizer, or a token-id file); undefined (random ids of that size) when the data file is gone or short.
torch::Tensor verificationIds(const Session& session, const MoeModel& model, const ExportCommandOptions& o,
                              int64_t length, std::string* note)
{
    const auto& calib = session.calibration();
    std::error_code ec;
    if (!calib || calib->dataPath.empty() || !fs::exists(calib->dataPath, ec)) {
        *note = "no calibration data file to read; the reload check uses random token ids";
        return {};
    }
    BlockOptions bo;
    bo.blocks = o.verifyBlocks;
    bo.blockLength = length;
    bo.selection = BlockSelection::Random;
    bo.seed = calib->seed;
    const fs::path tokenizer = fs::path(model.path()) / "tokenizer.json";
    std::string problem;
    if (fs::exists(tokenizer, ec)) {
        try {
            return loadTextBlocks(calib->dataPath, Tokenizer::fromFile(tokenizer), bo).ids;
        } catch (const Error& e) {
            problem = e.what();
        }
    }
    try {
        return loadTokenIdBlocks(calib->dataPath, bo, model.spec().vocabSize).ids;
    } catch (const Error& e) {
        *note = fmt::format("calibration data unusable ({}); the reload check uses random token ids",
            problem.empty() ? e.what() : problem);
        return {};
    }
}

void printPreview(const ExportPreview& p, const std::string& target)
{
    fmt::print("export to {}: {} format, {} ({} tensors in {} file(s))\n", target, exportKindName(p.kind),
        dtypeName(p.dtype), p.manifest.size(), p.shards.size());
    if (!p.notStandard.empty() && p.kind != ExportKind::Standard)
        fmt::print("not standard because:\n  {}\n", fmt::join(p.notStandard, "\n  "));
    if (p.kind == ExportKind::Extended)
        fmt::print("dense-compatible format (stock loaders, no saving from factors): {}\n",
            p.notDense.empty() ? "available with --format dense" : "not possible (" + fmt::format("{}", fmt::join(p.notDense, "; ")) + ")");
    for (const auto& n : p.notes)
        fmt::print("note: {}\n", n);
    fmt::print("layers {} of {}; parameters {:.3f} M of {:.3f} M ({:+.1f}%); weights {:.2f} MiB (source {:.2f} MiB); "
               "about {:.2f} MiB on disk\n",
        p.layers, p.sourceLayers, p.parameters / 1e6, p.sourceParameters / 1e6,
        100.0 * (double(p.parameters) - double(p.sourceParameters)) / double(std::max<uint64_t>(1, p.sourceParameters)),
        p.weightBytes / 1048576.0, p.sourceBytes / 1048576.0, p.totalBytes / 1048576.0);
    fmt::print("loads in:\n");
    for (const auto& r : p.runtimes)
        fmt::print("  {:<14} {:<4} {}\n", r.runtime, r.loads ? "yes" : "no", r.how);
}

void run(const ExportCommandOptions& o, const GlobalOptions& global)
{
    prepareRuntime(global);
    installInterruptHandler();
    Session session = Session::open(o.session);
    const Plan& picked = pickPlan(session, o.plan, o.session);
    // --peft: the plan without its LoRA steps as a standard checkpoint, the adapters beside it (lora_peft.h).
    const LoraPlanSplit split = splitLoraPlan(picked);
    if (o.peft && split.adapters.empty())
        fail("--peft: plan '{}' has no LoRA adapters (moe-compress finetune makes them)", picked.name);
    if (o.peft && !peftProblems(split.adapters).empty())
        fail("--peft: plan '{}' cannot be written as a PEFT adapter: {}; export it merged (without --peft) or "
             "fine-tune with --targets attention,shared",
             picked.name, fmt::join(peftProblems(split.adapters), "; "));
    const Plan& plan = o.peft ? split.base : picked;
    auto model = openComputeModel(sessionModelPath(session, o.model, o.session, "export"), torch::kFloat);
    requireSessionModel(session, *model);
    if (const auto missing = session.missingTensors(plan); !missing.empty())
        fail("{}: plan '{}' references tensors the session lacks: {}", o.session, plan.name,
            fmt::join(missing, ", "));

    ExportOptions options;
    options.target = o.target;
    options.kind = parseExportKind(o.format);
    if (o.peft && options.kind == ExportKind::Auto)
        options.kind = ExportKind::Standard;
    if (o.peft && options.kind != ExportKind::Standard)
        fail("--peft needs --format standard (PEFT adapters go on the stock architecture)");
    if (o.dtype == "bf16")
        options.dtype = DType::BF16;
    else if (o.dtype == "fp16")
        options.dtype = DType::F16;
    else if (o.dtype == "fp32")
        options.dtype = DType::F32;
    options.shardSizeBytes = parseSize(o.shardSize);
    options.force = o.force;
    options.protectedPaths = {fs::path(o.session)};
    options.verify = !o.noVerify;
    options.provenance = exportProvenance(session, plan.name);

    const ExportPreview preview = previewExport(*model, plan, options);
    if (o.dryRun) {
        if (o.json)
            fmt::print("{}\n", exportPreviewToJson(preview).dump(2));
        else
            printPreview(preview, o.target);
        return;
    }
    if (!o.json)
        printPreview(preview, o.target);
    std::string note;
    if (options.verify) {
        options.randomVerifyBlocks = o.verifyBlocks;
        options.randomVerifyLength = verifyLength(o, model->spec());
        options.verifyIds = verificationIds(session, *model, o, options.randomVerifyLength, &note);
    }
    if (!note.empty() && !o.json)
        fmt::print("note: {}\n", note);
    applyPlan(*model, plan, sessionTensorSource(session));
    ExportReport report;
    {
        ProgressBar bar("export " + fs::path(o.target).filename().string());
        options.progress = [&bar](double f) { return bar.update(f); };
        report = exportModel(*model, plan, options);
    }
    if (o.peft) {
        const auto files = writePeftAdapter(report.target, report.preview.keptLayers, split.adapters,
                                            sessionTensorSource(session), report.target.string(),
                                            picked.parameters.value("lora", nlohmann::json::object()).value("dropout", 0.0));
        report.files.insert(report.files.end(), files.begin(), files.end());
        if (!o.json)
            fmt::print("PEFT adapter: {} LoRA adapters of plan '{}' in {} (the weights hold plan '{}' without them)\n",
                       split.adapters.size(), picked.name, fmt::join(files, ", "), picked.name);
    }
    if (o.json) {
        fmt::print("{}\n", exportReportToJson(report).dump(2));
        return;
    }
    const auto& v = report.verification;
    fmt::print("wrote {} file(s), {:.2f} MiB, in {:.2f} s\n", report.files.size(), report.bytesWritten / 1048576.0,
        report.writeSeconds);
    if (report.roundedTensors > 0)
        fmt::print("{} tensor(s) rounded to {}\n", report.roundedTensors, dtypeName(preview.dtype));
    if (v.ran)
        fmt::print("reload check on {} ({} x {} tokens): max |logit diff| {:.3g} vs the weights as written "
                   "(tolerance {:.3g}), {:.3g} vs the in-memory model; {:.2f} s\n",
            v.data, v.blocks, v.blocks ? v.tokens / v.blocks : 0, v.maxDiff, v.tolerance, v.maxDiffInMemory, v.seconds);
    fmt::print("{}\n", report.target.string());
}

} // namespace

void registerExport(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<ExportCommandOptions>();
    auto* cmd = app.add_subcommand("export", "Write a session's plan as a checkpoint folder (safetensors, config, "
                                             "tokenizer, model card) and verify it by reloading");
    cmd->add_option("session", o->session, "Session file (names the source model and holds the plans)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("target", o->target, "Folder to create (must not exist or be empty, unless --force)")->required();
    cmd->add_option("--plan", o->plan, "Plan to export (default: the session's only plan)");
    cmd->add_option("--model", o->model, "Source model folder when it moved since the session was made (the same "
                                         "checkpoint: its identity hash is checked)")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--format", o->format, "standard, extended (per-layer structure) or dense (stock loaders)")
        ->check(CLI::IsMember({"auto", "standard", "extended", "dense"}))
        ->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "Element type of the weights (auto: the source's)")
        ->check(CLI::IsMember({"auto", "bf16", "fp16", "fp32"}))
        ->capture_default_str();
    cmd->add_option("--shard-size", o->shardSize, "Largest weights file (5GB = 5e9 bytes; 0 = one file)")
        ->capture_default_str();
    cmd->add_flag("--force", o->force, "Replace a non-empty target folder (never the source or the session's)");
    cmd->add_flag("--dry-run", o->dryRun, "Print the deployability report only; write nothing");
    cmd->add_flag("--no-verify", o->noVerify, "Skip reloading the folder and comparing logits");
    cmd->add_option("--verify-blocks", o->verifyBlocks, "Calibration blocks for the reload check")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->add_option("--verify-len", o->verifyLength, "Tokens per block for the reload check")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->add_flag("--peft", o->peft, "Standard kind: write the plan's LoRA adapters as a PEFT adapter "
                                     "(adapter_config.json + adapter_model.safetensors) beside the un-merged weights");
    cmd->add_flag("--json", o->json, "Print the report as JSON");
    cmd->callback([o, &global] { run(*o, global); });
}

} // namespace moewb::cli
