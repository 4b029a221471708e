// `moe-compress run --method expert-drop|layer-drop|block-drop|wanda|sparsegpt`: the holistic study's
// methods (methods.md §2, core/compress) as RunMethod entries. Each computes its scores on the
// calibration blocks and returns a plan; the common part (cmd_run.cpp) stores, applies and evaluates
// it. With --after PLAN the method runs on the model with PLAN (a plan already in the session, e.g.
// MoE-I²'s) applied, and returns PLAN's steps followed by its own (composePlans: the order is the
// plan's step order, and the parameters say which came first).
#include "app/cli/progress.h"
#include "app/cli/run_command.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/compress/expert_drop.h"
#include "core/compress/layer_drop.h"
#include "core/compress/slimming.h"
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/session/session.h"

#include <chrono>
#include <memory>

namespace moewb::cli {

namespace {

struct HolisticOptions {
    std::string after;                  // compose after this session plan
    std::string expertMode = "layerwise", expertScore = "auto";
    double dropRatio = 0.25;
    int preserveN = 0;
    int dropN = 1;
    int maxSpan = 0;
    std::string blockMode = "discrete";
    double sparsity = 0.5;
    std::string pattern = "unstructured";
    bool sharedExperts = false;
    int64_t sparseGptBlock = 128;
    double damping = 0.01;
};

HolisticOptions& opts()
{
    static HolisticOptions o;
    return o;
}

// Options several methods share are added by whichever method comes first (one option per name).
void addAfter(CLI::App& run)
{
    if (!run.get_option_no_throw("--after"))
        run.add_option("--after", opts().after,
                       "expert-drop, layer-drop, block-drop, wanda, sparsegpt: a plan in the session (e.g. "
                       "MoE-I²'s) applied first; the result is its steps followed by this method's")
            ->group("holistic");
}

void addDropN(CLI::App& run)
{
    if (run.get_option_no_throw("--drop-n"))
        return;
    const std::string g = "layer-drop / block-drop";
    run.add_option("--drop-n", opts().dropN, "layer-drop, block-drop: MoE sublayers or decoder blocks to drop")
        ->check(positiveNumber())
        ->capture_default_str()
        ->group(g);
    run.add_option("--max-span", opts().maxSpan,
                   "layer-drop, block-drop: longest run of blocks whose similarity is measured and cached (0: all)")
        ->check(nonNegativeNumber())
        ->capture_default_str()
        ->group(g);
}

void addSlimming(CLI::App& run)
{
    if (run.get_option_no_throw("--sparsity"))
        return;
    const std::string g = "wanda / sparsegpt";
    run.add_option("--sparsity", opts().sparsity, "wanda, sparsegpt: fraction of each expert matrix pruned")
        ->check(numberIn(0.0, 0.99))
        ->capture_default_str()
        ->group(g);
    run.add_option("--pattern", opts().pattern,
                   "wanda, sparsegpt: unstructured, or N:M (N pruned in every M input columns, e.g. 2:4)")
        ->capture_default_str()
        ->group(g);
    run.add_flag("--shared-experts", opts().sharedExperts, "wanda, sparsegpt: also prune the shared expert MLP")
        ->group(g);
    run.add_option("--sparsegpt-block", opts().sparseGptBlock, "sparsegpt: columns per lazy batch")
        ->check(positiveNumber())
        ->capture_default_str()
        ->group(g);
    run.add_option("--damping", opts().damping, "sparsegpt: H += damping x mean(diag H) x I")
        ->check(numberIn(0.0, 1.0))
        ->capture_default_str()
        ->group(g);
}

// The model a method works on: the source, or a copy with --after's plan applied.
struct WorkModel {
    std::unique_ptr<MoeModel> copy;
    const Plan* base = nullptr;
    const MoeModel* model = nullptr;
};

WorkModel workModel(RunContext& context)
{
    prepareSession(context);
    WorkModel w;
    w.model = &context.model;
    const std::string& after = opts().after;
    if (after.empty())
        return w;
    w.base = &sessionPlan(context.session, after, context.sessionPath);
    w.copy = MoeModel::open(context.model.path(), context.model.options());
    applyPlan(*w.copy, *w.base, sessionTensorSource(context.session));
    w.model = w.copy.get();
    return w;
}

// Names the plan and composes it after --after's plan.
Plan finish(RunContext& context, const WorkModel& work, Plan plan, const std::string& defaultName)
{
    plan.name = defaultName;
    if (work.base) {
        plan = composePlans(context.model.spec(), *work.base, plan);
        context.details["after"] = work.base->name;
    }
    if (!context.options.planName.empty())
        plan.name = context.options.planName;
    return plan;
}

Plan runExpertDrop(RunContext& context)
{
    const auto& o = opts();
    const WorkModel work = workModel(context);
    const auto kind = parseExpertScore(o.expertScore);
    const auto start = std::chrono::steady_clock::now();
    std::optional<ExpertScores> scores;
    if (!work.base)
        scores = expertScoresFromSession(context.session, context.model.spec(), kind);
    context.details["scores_reused"] = scores.has_value();
    if (!scores) {
        ProgressBar bar("expert scores", double(context.calibration.tokens()));
        scores = computeExpertScores(*work.model, context.calibration.ids, kind, context.options.batchTokens,
                                     [&](double f) { return bar.update(f); });
        bar.finish();
        if (!work.base && context.session.source())
            context.session.setRouterStats(routerStatsOf(*scores));
    }
    context.timings.emplace_back("scores", secondsSince(start));
    ExpertDropOptions options;
    options.mode = parseExpertDropMode(o.expertMode);
    options.ratio = o.dropRatio;
    options.preserveN = o.preserveN;
    Plan plan = expertDropPlan(context.model.spec(), *scores, options);
    const std::string strength = o.preserveN > 0 ? fmt::format("keep{}", o.preserveN) : fmt::format("{}", o.dropRatio);
    return finish(context, work, std::move(plan), fmt::format("expert-drop-{}-{}", o.expertMode, strength));
}

LayerSimilarity similarity(RunContext& context, const WorkModel& work, int minSpan)
{
    const auto start = std::chrono::steady_clock::now();
    SimilarityOptions so;
    so.maxSpan = opts().maxSpan;
    so.batchTokens = context.options.batchTokens;
    ProgressBar bar("similarity", double(context.calibration.tokens()));
    so.progress = [&](double f) { return bar.update(f); };
    bool reused = false;
    // Scores of a model with another plan applied are not the source's: never cached.
    auto result = layerSimilarity(*work.model, context.calibration.ids, work.base ? nullptr : &context.session,
                                  minSpan, so, &reused);
    bar.finish();
    context.details["scores_reused"] = reused;
    context.timings.emplace_back("scores", secondsSince(start));
    return result;
}

Plan runLayerDrop(RunContext& context)
{
    const WorkModel work = workModel(context);
    const auto sim = similarity(context, work, 1);
    Plan plan = layerDropPlan(context.model.spec(), sim, opts().dropN);
    return finish(context, work, std::move(plan), fmt::format("layer-drop-{}", opts().dropN));
}

Plan runBlockDrop(RunContext& context)
{
    const WorkModel work = workModel(context);
    const auto mode = parseBlockDropMode(opts().blockMode);
    const auto sim = similarity(context, work, mode == BlockDropMode::Consecutive ? opts().dropN : 1);
    Plan plan = blockDropPlan(context.model.spec(), sim, opts().dropN, mode);
    return finish(context, work, std::move(plan), fmt::format("block-drop-{}-{}", opts().blockMode, opts().dropN));
}

Plan runSlimming(RunContext& context, SlimMethod method)
{
    const auto& o = opts();
    const WorkModel work = workModel(context);
    SlimmingOptions so;
    so.method = method;
    so.pattern = SparsityPattern::parse(o.pattern, o.sparsity);
    so.sharedExperts = o.sharedExperts;
    so.sparseGpt.blockSize = o.sparseGptBlock;
    so.sparseGpt.damping = o.damping;
    so.batchTokens = context.options.batchTokens;
    std::string name = slimMethodName(method) + "-" + so.pattern.name();
    if (!so.pattern.structured())
        name += fmt::format("-{}", so.pattern.sparsity);
    if (work.base)
        name = work.base->name + " + " + name;
    const std::string planName = context.options.planName.empty() ? name : context.options.planName;
    so.tensorPrefix = slimmingTensorPrefix(planName);
    for (const std::string kind : {"masks/", "deltas/"})
        claimTensorFolder(context.session, planName,
                          [&kind](const std::string& name) { return kind + slimmingTensorPrefix(name); });
    if (work.base)
        for (const auto& step : work.base->steps)
            if (const auto* s = std::get_if<SparsifyMatrix>(&step))
                so.existingMasks.push_back(maskKey(s->layer, s->expert, s->matrix));
    const auto start = std::chrono::steady_clock::now();
    ProgressBar bar(slimMethodName(method), double(context.calibration.tokens()));
    so.progress = [&](double f) { return bar.update(f); };
    auto result = slimExperts(*work.model, context.calibration.ids, so, [&](const std::string& n, const torch::Tensor& t) {
        putSessionTensor(context.session, n, t);
    });
    bar.finish();
    context.timings.emplace_back("slimming", secondsSince(start));
    context.details["matrices_pruned"] = result.matrices;
    context.details["kept_fraction"] = result.weights ? double(result.keptWeights) / double(result.weights) : 1.0;
    context.details["experts_without_tokens"] = result.expertsWithoutTokens;
    if (!result.skipped.empty())
        context.details["skipped"] = result.skipped;
    Plan plan = finish(context, work, std::move(result.plan), planName);
    plan.name = planName;
    return plan;
}

} // namespace

RunMethod expertDropMethod()
{
    return {"expert-drop", "Expert Drop: remove the experts with the least router mass (holistic study)",
            [](CLI::App& run) {
                const std::string g = "expert-drop";
                run.add_option("--drop-mode", opts().expertMode, "expert-drop: layerwise (same count per layer) or global")
                    ->check(CLI::IsMember({"layerwise", "global"}))
                    ->capture_default_str()
                    ->group(g);
                run.add_option("--drop-ratio", opts().dropRatio, "expert-drop: fraction of routed experts removed")
                    ->check(numberIn(0.0, 0.99))
                    ->capture_default_str()
                    ->group(g);
                run.add_option("--preserve-n", opts().preserveN,
                               "expert-drop: experts kept per layer (global: on average) instead of --drop-ratio")
                    ->check(nonNegativeNumber())
                    ->group(g);
                run.add_option("--expert-score", opts().expertScore,
                               "expert-drop: auto, softmax (full softmax mass) or gate (scattered top-k weights; "
                               "auto for DeepSeek)")
                    ->check(CLI::IsMember({"auto", "softmax", "gate"}))
                    ->capture_default_str()
                    ->group(g);
                addAfter(run);
            },
            runExpertDrop};
}

RunMethod layerDropMethod()
{
    return {"layer-drop", "Layer Drop: remove the MoE sublayers that change the residual stream least",
            [](CLI::App& run) {
                addDropN(run);
                addAfter(run);
            },
            runLayerDrop};
}

RunMethod blockDropMethod()
{
    return {"block-drop", "Block Drop: remove the decoder blocks whose input and output are most alike",
            [](CLI::App& run) {
                addDropN(run);
                run.add_option("--block-mode", opts().blockMode,
                               "block-drop: discrete (the most similar blocks) or consecutive (the most similar run)")
                    ->check(CLI::IsMember({"discrete", "consecutive"}))
                    ->capture_default_str()
                    ->group("layer-drop / block-drop");
                addAfter(run);
            },
            runBlockDrop};
}

RunMethod wandaMethod()
{
    return {"wanda", "Expert Slimming with Wanda (|W| x input norm) on each expert's routed tokens",
            [](CLI::App& run) {
                addSlimming(run);
                addAfter(run);
            },
            [](RunContext& context) { return runSlimming(context, SlimMethod::Wanda); }};
}

RunMethod sparseGptMethod()
{
    return {"sparsegpt", "Expert Slimming with SparseGPT (OBS updates) on each expert's routed tokens",
            [](CLI::App& run) {
                addSlimming(run);
                addAfter(run);
            },
            [](RunContext& context) { return runSlimming(context, SlimMethod::SparseGpt); }};
}

} // namespace moewb::cli
