// moe-compress analyze MODEL (--calib FILE | --ids FILE) --session S.h5 [--blocks n] [--block-len s]
// [--seed N] [--ratio rho] [--override LAYER=COUNT ...] [--json]: the MoE-I² analysis stage
// (methods.md §1.1-1.2, docs/analysis.md). One calibration pass, layer by layer, fills the session with
// router statistics, single-expert losses, layer importance, the block inputs of every MoE layer (when
// they fit) and per-layer pruning counts. Rerunning with the same model and calibration data reuses the
// cached tables and only reallocates the counts.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/analysis/session_analysis.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/io/version.h"
#include "core/util/runtime.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <charconv>
#include <memory>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct AnalyzeCommandOptions {
    std::string model, calib, ids, tokenizer, session;
    std::string format = "auto", field = "text", dtype = "auto", device = "cpu";
    int64_t blocks = 32, blockLength = 0, batchTokens = 2048, blockInputsMiB = 1024;
    uint64_t seed = 0;
    double ratio = 0.25;
    std::vector<std::string> overrides;
    bool recompute = false, json = false;
};

std::map<int, int> parseOverrides(const std::vector<std::string>& items)
{
    std::map<int, int> out;
    for (const auto& item : items) {
        const auto eq = item.find('=');
        int layer = -1, count = -1;
        const char* end = item.data() + item.size();
        const bool ok = eq != std::string::npos
            && std::from_chars(item.data(), item.data() + eq, layer).ptr == item.data() + eq
            && std::from_chars(item.data() + eq + 1, end, count).ptr == end && layer >= 0 && count >= 0;
        if (!ok)
            fail("--override '{}': expected LAYER=COUNT with non-negative integers (e.g. 3=2)", item);
        out[layer] = count;
    }
    return out;
}

torch::ScalarType computeDtype(const std::string& name, const ModelSpec& spec)
{
    if (name == "fp64")
        return torch::kDouble;
    if (name == "bf16" || (name == "auto" && spec.dtype == DType::BF16 && cpuHasFastBf16()))
        return torch::kBFloat16;
    return torch::kFloat;
}

TokenBlocks loadBlocks(const AnalyzeCommandOptions& o, const ModelSpec& spec)
{
    BlockOptions bo;
    bo.blocks = o.blocks;
    bo.blockLength = o.blockLength > 0
        ? o.blockLength
        : std::min<int64_t>(512, spec.maxPositionEmbeddings > 0 ? spec.maxPositionEmbeddings : 512);
    bo.selection = BlockSelection::Random;
    bo.seed = o.seed;
    if (spec.maxPositionEmbeddings > 0 && bo.blockLength > spec.maxPositionEmbeddings)
        fail("--block-len {}: longer than the model's {} positions (max_position_embeddings)", bo.blockLength,
             spec.maxPositionEmbeddings);
    if (!o.ids.empty())
        return loadTokenIdBlocks(o.ids, bo, spec.vocabSize);
    const fs::path tokenizerPath = o.tokenizer.empty() ? fs::path(o.model) / "tokenizer.json" : fs::path(o.tokenizer);
    std::error_code ec;
    if (o.tokenizer.empty() && !fs::exists(tokenizerPath, ec))
        fail("{}: no tokenizer.json in the model folder; pass --tokenizer FILE (or --ids FILE with token ids)",
             o.model);
    const auto tokenizer = Tokenizer::fromFile(tokenizerPath);
    const auto format = o.format == "plain" ? TextFormat::Plain : o.format == "jsonl" ? TextFormat::Jsonl : TextFormat::Auto;
    auto blocks = loadTextBlocks(o.calib, tokenizer, bo, format, o.field);
    const auto top = blocks.ids.max().item<int64_t>();
    if (top >= spec.vocabSize)
        fail("{}: token id {} is outside the model's vocabulary of {} (tokenizer {} does not fit this model)",
             o.calib, top, spec.vocabSize, tokenizerPath.string());
    return blocks;
}

nlohmann::json toJson(const AnalyzeCommandOptions& o, const TokenBlocks& blocks, const SessionAnalysisResult& r)
{
    const auto overrides = parseOverrides(o.overrides);
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < r.layers.size(); ++i) {
        const auto& a = r.layers[i];
        layers.push_back({{"layer", a.layer}, {"experts", a.expertIds.size()}, {"importance", a.importance},
                          {"prune_count", r.allocation.counts[i]}, {"overridden", overrides.count(a.layer) > 0},
                          {"expert_loss", a.expertLoss}, {"selection_frequency", a.routing.selectionFrequency},
                          {"mean_gate_weight", a.routing.meanGateWeight}, {"softmax_mass", a.routing.softmaxMass}});
    }
    return {{"model", o.model}, {"session", o.session}, {"reused", r.reused}, {"dropped", r.dropped},
            {"calibration", {{"source", blocks.source}, {"blocks", blocks.count()}, {"block_length", blocks.length()},
                             {"seed", blocks.options.seed}, {"data_hash", blocks.dataHash}}},
            {"seconds", r.seconds}, {"ratio", o.ratio}, {"requested", r.allocation.requested},
            {"allocated", r.allocation.allocated}, {"block_inputs_stored", r.blockInputsStored}, {"layers", layers}};
}

void printText(const AnalyzeCommandOptions& o, const TokenBlocks& blocks, const SessionAnalysisResult& r)
{
    fmt::print("calibration: {} blocks x {} tokens from {} (seed {}, data hash {})\n", blocks.count(), blocks.length(),
               blocks.source, blocks.options.seed, blocks.dataHash);
    if (!r.dropped.empty())
        fmt::print("dropped {} stale section(s) computed from other calibration data: {}\n", r.dropped.size(),
                   fmt::join(r.dropped, ", "));
    if (r.reused)
        fmt::print("reused the cached router statistics and importance in {} (same model and calibration data)\n",
                   o.session);
    else
        fmt::print("calibration pass: {:.2f} s\n", r.seconds);
    fmt::print("{:>5}  {:>7}  {:>12}  {:>5}\n", "layer", "experts", "importance", "prune");
    const auto overrides = parseOverrides(o.overrides);
    for (size_t i = 0; i < r.layers.size(); ++i)
        fmt::print("{:>5}  {:>7}  {:>12.5g}  {:>5}{}\n", r.layers[i].layer, r.layers[i].expertIds.size(),
                   r.layers[i].importance, r.allocation.counts[i], overrides.count(r.layers[i].layer) ? " (set by hand)" : "");
    fmt::print("pruning {} of the requested {} routed experts (ratio {})\n", r.allocation.allocated,
               r.allocation.requested, o.ratio);
    if (r.blockInputsStored > 0)
        fmt::print("block inputs of {} layer(s) in the session ({:.1f} MiB)\n", r.blockInputsStored,
                   r.blockInputBytes / 1048576.0);
    else
        fmt::print("block inputs not stored: {:.1f} MiB exceed --block-inputs-mib {}\n", r.blockInputBytes / 1048576.0,
                   o.blockInputsMiB);
    fmt::print("session: {}\n", o.session);
}

void run(const AnalyzeCommandOptions& o, const GlobalOptions& global)
{
    if (o.calib.empty() && o.ids.empty())
        fail("analyze: no calibration data: give --calib FILE (text or JSONL) or --ids FILE");
    prepareRuntime(global);
    installInterruptHandler();
    const auto spec = loadModelSpec(fs::path(o.model) / "config.json");
    auto model = MoeModel::open(o.model, ComputeOptions{computeDtype(o.dtype, spec), parseDevice(o.device)});
    const auto blocks = loadBlocks(o, model->spec());
    Session session = openOrCreateSession(o.session);
    if (session.provenance().createdWith.empty())
        session.provenance().createdWith = fmt::format("moe-compress {}", version());

    SessionAnalysisOptions options;
    options.ratio = o.ratio;
    options.overrides = parseOverrides(o.overrides);
    options.batchTokens = o.batchTokens;
    options.maxBlockInputBytes = o.blockInputsMiB * (int64_t{1} << 20);
    options.recompute = o.recompute;
    const auto moeLayers = model->spec().moeLayerIndices();
    SessionAnalysisResult result;
    {
        ProgressBar bar("analyze " + fs::path(o.model).filename().string(),
                        moeLayers.empty() ? 0.0 : double(moeLayers.back() + 1), "layer");
        options.progress = [&bar](double f) { return bar.update(f); };
        result = analyzeIntoSession(*model, blocks, session, o.session, options);
    }
    if (o.json)
        fmt::print("{}\n", toJson(o, blocks, result).dump(2));
    else
        printText(o, blocks, result);
}

} // namespace

void registerAnalyze(CLI::App& app, GlobalOptions& global)
{
    auto options = std::make_shared<AnalyzeCommandOptions>();
    auto* cmd = app.add_subcommand("analyze",
                                   "Calibration pass: router statistics, expert and layer importance, "
                                   "block inputs and per-layer pruning counts into a session file");
    cmd->add_option("model", options->model, "Model folder (config.json + safetensors)")
        ->required()
        ->check(CLI::ExistingDirectory);
    auto* calib = cmd->add_option("--calib", options->calib, "Calibration text: plain text, or JSONL with a 'text' field")
                      ->check(CLI::ExistingFile);
    auto* ids = cmd->add_option("--ids", options->ids, "Calibration token ids: whitespace-separated integers")
                    ->check(CLI::ExistingFile);
    calib->excludes(ids);
    ids->excludes(calib);
    cmd->add_option("--session", options->session, "Session file to fill (created when missing)")->required();
    cmd->add_option("--tokenizer", options->tokenizer, "tokenizer.json to use (default: MODEL/tokenizer.json)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--format", options->format, "Text file format")
        ->check(CLI::IsMember({"auto", "plain", "jsonl"}))
        ->capture_default_str();
    cmd->add_option("--field", options->field, "JSONL field holding the text")->capture_default_str();
    cmd->add_option("-n,--blocks,--samples", options->blocks, "Calibration blocks (n)")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->add_option("-s,--block-len,--seq-len", options->blockLength,
                    "Tokens per block (s; default: min(512, max_position_embeddings))")
        ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
    cmd->add_option("--seed", options->seed, "Seed of the block selection")->capture_default_str();
    cmd->add_option("--ratio", options->ratio, "Fraction of all routed experts to prune")
        ->check(numberIn(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--override", options->overrides, "Fix a layer's pruning count by hand: LAYER=COUNT (repeatable)");
    cmd->add_option("--batch-tokens", options->batchTokens, "Tokens through a layer at once")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->add_option("--block-inputs-mib", options->blockInputsMiB,
                    "Store the block inputs (for the block search) when all of them fit in this many MiB (0: never)")
        ->check(nonNegativeNumber())
        ->capture_default_str();
    cmd->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--dtype", options->dtype, "Compute dtype (auto: bf16 for bf16 checkpoints where bf16 is fast)")
        ->check(CLI::IsMember({"auto", "fp32", "fp64", "bf16"}))
        ->capture_default_str();
    cmd->add_flag("--recompute", options->recompute, "Ignore cached results in the session");
    cmd->add_flag("--json", options->json, "Print the results as JSON");
    cmd->callback([options, &global] { run(*options, global); });
}

} // namespace moewb::cli
