// `run --method moe-i2`: MoE-I² end to end (methods.md 1): analysis, layer-wise genetic search and
// the KT block search (pruning), then expert importance on the pruned model, rank allocation and the
// SVD of every surviving expert (low-rank). --ratio 0 skips pruning, --decomp-rate 0 skips the low-rank
// stage. Every stage reuses what the session already holds for the same parameters.
#include "app/cli/lowrank_report.h"
#include "app/cli/progress.h"
#include "app/cli/run_command.h"
#include "app/cli/search_options.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/io/error.h"
#include "core/pipeline/moe_i2_stages.h"
#include "core/pipeline/search_stage.h"

namespace moewb::cli {

namespace {

struct MoeI2Options {
    double ratio = 0.25, rate = 0.3, alpha = 0.15;
    SearchCliOptions search;
    std::string svd = "activation";
    std::vector<std::string> layerRanks, expertRanks;
    bool recompute = false;
};

Plan runMoeI2(RunContext& ctx, const MoeI2Options& m)
{
    const RunOptions& o = ctx.options;
    if (m.ratio <= 0 && m.rate <= 0)
        fail("moe-i2: --ratio 0 and --decomp-rate 0 leave nothing to do");
    Plan pruning{"none", "moe-i2", nlohmann::json::object(), {}};
    std::string pruningName;
    bool reused = true;
    if (m.ratio > 0) {
        SearchStageOptions so;
        so.analysis.ratio = m.ratio;
        so.analysis.batchTokens = o.batchTokens;
        applySearchOptions(m.search, so);
        so.search.genetic.seed = o.seed;
        pruningName = (o.planName.empty() ? std::string("moe-i2") : o.planName) + (m.rate > 0 ? "-pruning" : "");
        so.search.planName = pruningName;
        so.recompute = m.recompute;
        StageBars bars(static_cast<double>(ctx.calibration.tokens()));
        so.progress = bars.callback();
        const std::filesystem::path sessionPath = ctx.sessionPath;
        const auto out = searchIntoSession(ctx.model, ctx.calibration, ctx.session, sessionPath, so);
        bars.finish();
        reused = reused && out.reused;
        if (!out.analysis.reused)
            ctx.timings.emplace_back("analysis", out.analysis.seconds);
        if (!out.reused) {
            ctx.timings.emplace_back("search calibration", out.calibrationSeconds);
            ctx.timings.emplace_back("genetic search", out.geneticSeconds);
            ctx.timings.emplace_back("block search", out.blockSeconds);
        }
        pruning = *out.plan;
        ctx.details["pruning_plan"] = pruningName;
        ctx.details["search_reused"] = out.reused;
        ctx.details["sequences_per_pass"] = m.search.sequencesPerPass; // memory bound, not in the search's key
        if (m.rate <= 0) {
            ctx.details["reused"] = reused;
            return pruning;
        }
        ctx.session.save(sessionPath);
    }
    DecomposeStageOptions ds;
    ds.pruningPlan = pruningName;
    ds.recompute = m.recompute;
    auto& d = ds.decompose;
    d.rate = m.rate;
    d.alpha = m.alpha;
    d.mode = m.svd == "plain" ? SvdMode::Plain : SvdMode::ActivationAware;
    d.planName = o.planName.empty() ? (m.ratio > 0 ? "moe-i2" : "moe-i2-lowrank") : o.planName;
    d.batchTokens = o.batchTokens;
    d.layerAverageRank = parseLayerRanks(m.layerRanks);
    d.expertRank = parseExpertRanks(m.expertRanks);
    const auto start = std::chrono::steady_clock::now();
    DecomposeStageResult out;
    {
        ProgressBar bar("decompose", static_cast<double>(ctx.calibration.tokens()));
        d.progress = [&](double f) { return bar.update(f); };
        out = decomposeIntoSession(o.model, ComputeOptions{parseComputeDtype(o.dtype), torch::kCPU},
                                   ctx.calibration.ids, ctx.session, ds);
    }
    reused = reused && out.reused;
    if (!out.reused) {
        ctx.timings.emplace_back("decompose", secondsSince(start));
        const auto& a = out.result.allocation;
        ctx.details["rank_budget"] = a.budget;
        ctx.details["rank_allocated"] = a.allocated;
        ctx.details["dense_fallbacks"] = a.denseFallbacks;
        int plainFallbacks = 0;
        for (const auto& mr : out.result.matrices)
            plainFallbacks += mr.used == SvdMode::Plain && d.mode == SvdMode::ActivationAware;
        ctx.details["plain_svd_fallbacks"] = plainFallbacks;
    }
    ctx.details["decompose_reused"] = out.reused;
    ctx.details["reused"] = reused;
    return *out.plan;
}

} // namespace

RunMethod moeI2Method()
{
    auto m = std::make_shared<MoeI2Options>();
    RunMethod method;
    method.name = "moe-i2";
    method.description = "MoE-I²: genetic + KT expert pruning, then non-uniform low-rank experts";
    method.addOptions = [m](CLI::App& cmd) {
        const std::string g = "moe-i2";
        cmd.add_option("--ratio", m->ratio, "moe-i2: fraction of all routed experts to remove (0: low-rank only)")
            ->check(numberIn(0.0, 0.95))->capture_default_str()->group(g);
        addSearchOptions(cmd, m->search, g + ": ", g);
        cmd.add_option("--decomp-rate", m->rate, "moe-i2: fraction of surviving expert parameters removed by low rank (0: pruning only)")
            ->check(numberIn(0.0, 0.99))->capture_default_str()->group(g);
        cmd.add_option("--alpha", m->alpha, "moe-i2: importance exponent of the rank allocation")->check(numberIn(0.0, 10.0))->capture_default_str()->group(g);
        cmd.add_option("--svd", m->svd, "moe-i2: SVD mode")->check(CLI::IsMember({"plain", "activation"}))->capture_default_str()->group(g);
        cmd.add_option("--layer-rank", m->layerRanks, "moe-i2: average rank of one layer's experts, L=R")->group(g);
        cmd.add_option("--expert-rank", m->expertRanks, "moe-i2: rank of one expert, L:E=R (0 = dense)")->group(g);
        cmd.add_flag("--recompute", m->recompute, "moe-i2: recompute stages the session already holds")->group(g);
    };
    method.run = [m](RunContext& ctx) { return runMoeI2(ctx, *m); };
    return method;
}

} // namespace moewb::cli
