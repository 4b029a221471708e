// moe-compress decompose MODEL --session S.h5 [--plan PRUNING] [--rate 0.3] [--alpha 0.15]
// [--svd plain|activation] [--layer-rank L=R ...] [--expert-rank L:E=R ...] [--plan-name NAME] [--json]:
// the MoE-I² low-rank stage (methods.md 1.5, docs/lowrank.md) on the pruned model the session's
// pruning plan makes; the factors go into the session's tensor store and the plan into its plans.
#include "app/cli/commands.h"
#include "app/cli/lowrank_report.h"
#include "app/cli/progress.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/io/error.h"
#include "core/pipeline/moe_i2_stages.h"

#include <fmt/format.h>

namespace moewb::cli {

namespace {

struct DecomposeCommandOptions {
    std::string model, session, calib, tokenizer, pruningPlan = "moe-i2-search", planName, svd = "activation",
                                                  dtype = "fp32", device = "cpu";
    double rate = 0.3, alpha = 0.15;
    std::vector<std::string> layerRanks, expertRanks;
    int64_t samples = 32, sequenceLength = 128, batchTokens = 2048;
    uint64_t calibSeed = 0;
    bool noPruning = false, json = false, recompute = false;
};

void run(const DecomposeCommandOptions& o, const GlobalOptions& global)
{
    prepareRuntime(global);
    installInterruptHandler();
    const auto dtype = parseComputeDtype(o.dtype);
    auto model = openComputeModel(o.model, dtype, parseDevice(o.device));
    Session session = openOrCreateSession(o.session);
    if (!session.source())
        fail("decompose: {} has no source model; run `moe-compress analyze` or `search` first", o.session);
    requireSessionModel(session, *model);
    const auto blocks = loadCalibrationBlocks(
        {o.model, o.calib, o.tokenizer, o.samples, o.sequenceLength, o.calibSeed}, session, model->spec(), "decompose");

    DecomposeStageOptions so;
    so.pruningPlan = o.noPruning ? std::string() : o.pruningPlan;
    so.recompute = o.recompute;
    auto& d = so.decompose;
    d.rate = o.rate;
    d.alpha = o.alpha;
    d.mode = o.svd == "plain" ? SvdMode::Plain : SvdMode::ActivationAware;
    d.planName = !o.planName.empty() ? o.planName : o.noPruning ? "moe-i2-lowrank" : "moe-i2";
    d.batchTokens = o.batchTokens;
    d.layerAverageRank = parseLayerRanks(o.layerRanks);
    d.expertRank = parseExpertRanks(o.expertRanks);
    const auto start = std::chrono::steady_clock::now();
    DecomposeStageResult result;
    {
        ProgressBar bar("decompose", static_cast<double>(blocks.tokens()));
        d.progress = [&](double f) { return bar.update(f); };
        result = decomposeIntoSession(o.model, ComputeOptions{dtype, torch::kCPU}, blocks.ids, session, so);
    }
    const double seconds = secondsSince(start);
    if (!result.reused) {
        session.provenance().parameters["decompose"] = result.plan->parameters;
        session.provenance().timings["decompose"] = seconds;
    }
    session.save(o.session);
    LowRankReport report{o.model, o.session, &model->spec(), result.plan, result.reused ? nullptr : &result.result,
                         seconds};
    if (o.json)
        printLowRankJson(report);
    else
        printLowRankReport(report);
}

} // namespace

void registerDecompose(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<DecomposeCommandOptions>();
    auto* cmd = app.add_subcommand("decompose", "MoE-I² low-rank stage: expert importance on the pruned model, "
                                                "non-uniform ranks, plain or activation-aware SVD of every expert");
    cmd->add_option("model", o->model, "Model folder (config.json + safetensors)")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--session", o->session, "Session file (.h5) from analyze/search")->required()->check(CLI::ExistingFile);
    cmd->add_option("--plan", o->pruningPlan, "Pruning plan in the session to start from")->capture_default_str();
    cmd->add_flag("--no-pruning", o->noPruning, "Decompose the unpruned model (low-rank only)");
    cmd->add_option("--calib", o->calib, "Calibration text or .ids (default: the session's)")->check(CLI::ExistingFile);
    cmd->add_option("--tokenizer", o->tokenizer, "tokenizer.json (default: MODEL/tokenizer.json)")->check(CLI::ExistingFile);
    cmd->add_option("-n,--blocks,--samples", o->samples, "Calibration blocks with --calib")->check(positiveNumber())->capture_default_str();
    cmd->add_option("-s,--block-len,--seq-len", o->sequenceLength, "Tokens per calibration block with --calib")
        ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))
        ->capture_default_str();
    cmd->add_option("--calib-seed", o->calibSeed, "Seed drawing the calibration windows with --calib")->capture_default_str();
    cmd->add_option("--rate,--decomp-rate", o->rate, "Fraction of the surviving routed-expert parameters to remove")
        ->check(numberIn(0.0, 0.99))
        ->capture_default_str();
    cmd->add_option("--alpha", o->alpha, "Importance exponent of the rank allocation")->check(numberIn(0.0, 10.0))->capture_default_str();
    cmd->add_option("--svd", o->svd, "SVD mode")->check(CLI::IsMember({"plain", "activation"}))->capture_default_str();
    cmd->add_option("--layer-rank", o->layerRanks, "Average rank of one layer's experts, L=R (repeatable)");
    cmd->add_option("--expert-rank", o->expertRanks, "Rank of one expert, L:E=R, 0 = keep dense (repeatable)");
    cmd->add_option("--plan-name", o->planName, "Name of the result plan (default: moe-i2, or moe-i2-lowrank with --no-pruning)")
        ->check(planName());
    cmd->add_option("--batch-tokens", o->batchTokens, "Tokens through a layer at once")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "Compute dtype")->check(CLI::IsMember({"fp32", "fp64", "bf16"}))->capture_default_str();
    cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_flag("--recompute", o->recompute, "Decompose again even when the session holds this plan");
    cmd->add_flag("--json", o->json, "Print the results as JSON");
    cmd->callback([o, &global] { run(*o, global); });
}

} // namespace moewb::cli
