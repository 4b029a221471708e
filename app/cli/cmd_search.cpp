// moe-compress search MODEL --session S.h5 [--calib FILE] [--ratio R] [--K K] [--T T] [--population N]
// [--generations G] [--seed S] [--json]: the MoE-I² search (methods.md 1.3-1.4, docs/search.md).
// Per-layer pruning counts come from the analysis stage (reused from the session when it matches the
// model and calibration data), the genetic search runs on every MoE layer's exact fast loss, the KT block search on the
// layers' K best sets; LayerSearch / BlockSearch records and the plan are written into the session.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/search_options.h"
#include "app/cli/search_report.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/io/error.h"
#include "core/pipeline/search_stage.h"
#include "core/search/baselines.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <torch/types.h>

#include <chrono>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct SearchCommandOptions {
    std::string model, session, calib, tokenizer, dtype = "fp32", device = "cpu", planName = "moe-i2-search";
    double ratio = -1;  // < 0: the session's allocation ratio, else 0.25
    SearchCliOptions search;
    uint64_t seed = 0, calibSeed = 0;
    int64_t samples = 32, sequenceLength = 512, batchTokens = 2048;
    bool json = false, recompute = false;
    std::string baseline;
};

// --baseline frequency|random: the analysis stage's counts, removed by routing frequency or at random.
void runBaseline(const SearchCommandOptions& o, const MoeModel& model, const TokenBlocks& blocks, Session& session,
                 const SessionAnalysisOptions& ao)
{
    SessionAnalysisResult analysis;
    {
        ProgressBar bar("analysis", static_cast<double>(blocks.tokens()));
        SessionAnalysisOptions a = ao;
        a.progress = [&](double f) { return bar.update(f); };
        analysis = analyzeIntoSession(model, blocks, session, o.session, a);
    }
    std::map<int, int> counts, experts;
    for (size_t i = 0; i < analysis.layers.size(); ++i) {
        counts[analysis.layers[i].layer] = analysis.allocation.counts[i];
        experts[analysis.layers[i].layer] = model.spec().layers[static_cast<size_t>(analysis.layers[i].layer)].numExperts;
    }
    const bool random = o.baseline == "random";
    const std::string name = o.planName != "moe-i2-search" ? o.planName
        : random                                            ? fmt::format("random-{}", o.seed)
                                                            : std::string("frequency");
    Plan plan = random ? randomPruningPlan(experts, counts, o.seed, name)
                       : frequencyPruningPlan(*session.routerStats(), counts, name);
    plan.parameters["ratio"] = ao.ratio;
    plan.parameters["counts"] = counts;
    session.setPlan(plan);
    session.save(o.session);
    int removed = 0;
    for (const auto& step : plan.steps)
        removed += static_cast<int>(std::get<RemoveExperts>(step).experts.size());
    if (o.json)
        fmt::print("{}\n", nlohmann::json{{"model", o.model}, {"session", o.session}, {"plan", planToJson(plan)}}.dump(2));
    else
        fmt::print("plan '{}' ({} baseline): {} experts removed from {} layers (saved in {})\n", name, o.baseline, removed,
                   plan.steps.size(), o.session);
}

void run(const SearchCommandOptions& o, const GlobalOptions& global)
{
    prepareRuntime(global);
    installInterruptHandler();
    auto model = openComputeModel(o.model, parseComputeDtype(o.dtype), parseDevice(o.device));
    Session session = openOrCreateSession(o.session);
    const auto blocks = loadCalibrationBlocks({o.model, o.calib, o.tokenizer, o.samples, o.sequenceLength, o.calibSeed},
                                              session, model->spec(), "search");

    SearchStageOptions so;
    so.analysis.ratio = o.ratio >= 0 ? o.ratio : session.allocation() ? session.allocation()->ratio : 0.25;
    so.analysis.batchTokens = o.batchTokens;
    if (const auto& a = session.allocation())
        for (size_t i = 0; i < a->layers.size() && i < a->overridden.size(); ++i)
            if (a->overridden[i])
                so.analysis.overrides[a->layers[i]] = a->counts[i];
    applySearchOptions(o.search, so);
    so.search.genetic.seed = o.seed;
    so.search.planName = o.planName;
    so.recompute = o.recompute;
    if (!o.baseline.empty())
        return runBaseline(o, *model, blocks, session, so.analysis);
    StageBars bars(static_cast<double>(blocks.tokens()));
    so.progress = bars.callback();
    const auto out = searchIntoSession(*model, blocks, session, o.session, so);
    bars.finish();
    session.save(o.session);

    ModelSearchResult reused;
    if (out.reused) {
        for (const auto& [layer, l] : session.searches())
            reused.layers.push_back(l);
        if (session.blockSearch())
            reused.blocks = *session.blockSearch();
        reused.plan = *out.plan;
    }
    SearchReport report;
    report.model = o.model;
    report.session = o.session;
    report.tokens = blocks.tokens();
    report.calibrationSeconds = out.calibrationSeconds;
    report.geneticSeconds = out.geneticSeconds;
    report.blockSeconds = out.blockSeconds;
    report.reused = out.reused;
    report.result = out.reused ? &reused : &out.search;
    if (o.json)
        printSearchJson(report);
    else
        printSearchReport(report);
}

} // namespace

void registerSearch(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<SearchCommandOptions>();
    auto* cmd = app.add_subcommand("search", "MoE-I² expert-pruning search: per-layer genetic search, then the "
                                             "block-wise KT-reception field; writes the plan into the session");
    cmd->add_option("model", o->model, "Model folder (config.json + safetensors)")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--session", o->session, "Session file (.h5), created when absent")->required();
    cmd->add_option("--calib", o->calib, "Calibration text (plain or JSONL) or token ids (.ids); default: the session's")
        ->check(CLI::ExistingFile);
    cmd->add_option("--tokenizer", o->tokenizer, "tokenizer.json (default: MODEL/tokenizer.json)")->check(CLI::ExistingFile);
    cmd->add_option("-n,--blocks,--samples", o->samples, "Calibration blocks (n)")->check(positiveNumber())->capture_default_str();
    cmd->add_option("-s,--block-len,--seq-len", o->sequenceLength, "Tokens per calibration block (s)")
        ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))
        ->capture_default_str();
    cmd->add_option("--calib-seed", o->calibSeed, "Seed drawing the calibration windows")->capture_default_str();
    cmd->add_option("--ratio", o->ratio, "Fraction of all routed experts to remove (default: the session's, else 0.25)")
        ->check(numberIn(0.0, 1.0));
    cmd->add_option("--batch-tokens", o->batchTokens, "Calibration pass: tokens through a layer at once")
        ->check(positiveNumber())
        ->capture_default_str();
    addSearchOptions(*cmd, o->search);
    cmd->add_option("--seed", o->seed, "Search seed")->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "Compute dtype")->check(CLI::IsMember({"fp32", "fp64", "bf16"}))->capture_default_str();
    cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--plan-name", o->planName, "Name of the plan in the session")->capture_default_str()
        ->check(planName());
    cmd->add_option("--baseline", o->baseline,
                    "Instead of searching: remove the same number of experts per layer by routing frequency "
                    "(least selected first) or at random (--seed); plan 'frequency' or 'random-SEED'")
        ->check(CLI::IsMember({"frequency", "random"}));
    cmd->add_flag("--recompute", o->recompute, "Search again even when the session holds this plan with these parameters");
    cmd->add_flag("--json", o->json, "Print the results as JSON");
    cmd->callback([o, &global] { run(*o, global); });
}

} // namespace moewb::cli
