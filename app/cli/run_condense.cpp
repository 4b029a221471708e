// `run --method condense`: CD-MoE (methods.md §3). Greedy expert selection per MoE layer (k_c kept
// experts with their mean gate weights, no router), then greedy layer selection (beam 1) to --layers
// condensed layers (or to a parameter target); the plan holds one CondenseLayer step per chosen
// layer. With --finetune-steps S and --train FILE the condensed layers' experts (kept routed experts
// and shared experts) are fine-tuned on FILE (core/train/condense_finetune.h); the trained weights
// reach the plan as dense apply_delta steps whose tensors live under "deltas/<plan>" in the session;
// the plan before fine-tuning is stored too, as "<plan>-no-finetune".
#include "app/cli/progress.h"
#include "app/cli/run_command.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/calib/dataset.h"
#include "core/compress/condense.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/train/condense_finetune.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace moewb::cli {

namespace {

struct CondenseCliOptions {
    int layers = 1, experts = 2;
    std::string metric = "js";
    std::vector<int> candidateLayers;
    uint64_t targetParams = 0;
    std::string train;
    CondenseFinetuneOptions fit{.steps = 0};
    bool noSharedFinetune = false;
};

// Fine-tunes the condensed layers of `plan` applied to a resident fp32 copy of the model and appends
// the trained weights to the plan as dense deltas (tensors in the session).
void finetune(RunContext& ctx, const CondenseCliOptions& m, Plan& plan, const std::vector<int>& layers)
{
    const RunOptions& o = ctx.options;
    if (m.train.empty())
        fail("condense: --finetune-steps needs --train FILE (the fine-tuning text)");
    auto model = MoeModel::open(ctx.model.path(), ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    applyPlan(*model, plan);
    namespace fs = std::filesystem;
    const fs::path tok = o.tokenizer.empty() ? fs::path(o.model) / "tokenizer.json" : fs::path(o.tokenizer);
    const auto ids = tokenize(readTextCorpus(m.train), Tokenizer::fromFile(tok));
    CondenseFinetuneOptions fit = m.fit;
    fit.seqLen = o.sequenceLength;
    fit.sharedExperts = !m.noSharedFinetune;
    fit.seed = o.seed;
    CondenseFinetuneResult result;
    {
        ProgressBar bar("finetune");
        result = finetuneCondensed(*model, layers, ids, fit, [&](const CondenseFinetuneStep& s) {
            if (o.json == false && (s.step == 1 || s.step % 10 == 0 || s.step == s.steps))
                fmt::print(stderr, "\nfinetune step {}/{}: loss {:.4f} lr {:.2e}\n", s.step, s.steps, s.loss, s.lr);
            return bar.update(double(s.step) / double(s.steps));
        });
    }
    storeCondenseFinetune(ctx.session, plan, result, fit, m.train);
    ctx.details["plan_before_finetune"] = plan.name + "-no-finetune";
    ctx.timings.emplace_back("condense finetune", result.seconds);
    ctx.details["finetune"] = {{"steps", fit.steps},
                               {"trainable_parameters", result.trainableParameters},
                               {"windows", result.windows},
                               {"padded_targets", result.paddedTargets},
                               {"first_loss", result.losses.front()},
                               {"last_loss", result.losses.back()},
                               {"losses", result.losses}};
}

Plan runCondense(RunContext& ctx, const CondenseCliOptions& m)
{
    const RunOptions& o = ctx.options;
    if (m.fit.steps > 0 && m.train.empty())
        fail("condense: --finetune-steps needs --train FILE (the fine-tuning text)");
    CondenseOptions co;
    co.layers = m.layers;
    co.targetParameters = m.targetParams;
    co.experts = m.experts;
    co.metric = parseCondenseMetric(m.metric);
    co.candidateLayers = m.candidateLayers;
    co.batchTokens = o.batchTokens;
    co.planName = o.planName.empty() ? std::string("cd-moe") : o.planName;
    const auto start = std::chrono::steady_clock::now();
    CondenseResult result;
    {
        ProgressBar bar("condense");
        co.progress = [&](double f) { return bar.update(f); };
        result = condenseLayers(ctx.model, ctx.calibration.ids, co);
    }
    ctx.timings.emplace_back("condense search",
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < result.order.size(); ++i) {
        const int l = result.order[i];
        for (const auto& c : result.choices)
            if (c.layer == l)
                layers.push_back({{"layer", l},
                                  {"experts", c.experts},
                                  {"weights", c.weights},
                                  {"layer_divergence", result.layerDivergence[i]}});
    }
    ctx.details["condensed_layers"] = layers;
    ctx.details["metric"] = m.metric;
    if (m.fit.steps > 0)
        finetune(ctx, m, result.plan, result.order);
    return result.plan;
}

} // namespace

RunMethod condenseMethod()
{
    auto m = std::make_shared<CondenseCliOptions>();
    RunMethod method;
    method.name = "condense";
    method.description = "CD-MoE: condense MoE layers to shared + k_c fixed experts with constant weights";
    method.addOptions = [m](CLI::App& cmd) {
        const std::string g = "condense";
        cmd.add_option("--layers", m->layers, "condense: MoE layers to condense")
            ->check(CLI::Range(1, 1024))->capture_default_str()->group(g);
        cmd.add_option("--experts", m->experts, "condense: routed experts kept per condensed layer (k_c; 0 = shared only)")
            ->check(CLI::Range(0, 4096))->capture_default_str()->group(g);
        cmd.add_option("--metric", m->metric, "condense: selection metric, js (hidden states, the paper) or kl (next-token)")
            ->check(CLI::IsMember({"js", "kl"}))->capture_default_str()->group(g);
        cmd.add_option("--candidate-layers", m->candidateLayers, "condense: MoE layers that may be condensed (default: all)")
            ->group(g);
        cmd.add_option("--target-params", m->targetParams,
                       "condense: parameter target instead of --layers (condense layers until the model holds at most this many)")
            ->group(g);
        cmd.add_option("--finetune-steps", m->fit.steps, "condense: fine-tuning steps of the condensed layers' experts (0: none)")
            ->check(CLI::Range(int64_t(0), int64_t(1000000)))->capture_default_str()->group(g);
        cmd.add_option("--finetune-lr", m->fit.lr, "condense: fine-tuning peak learning rate (AdamW)")
            ->check(positiveNumber())->capture_default_str()->group(g);
        cmd.add_option("--finetune-batch", m->fit.batchSize, "condense: fine-tuning sequences per step")
            ->check(CLI::Range(int64_t(1), int64_t(4096)))->capture_default_str()->group(g);
        cmd.add_option("--finetune-warmup", m->fit.warmupSteps, "condense: linear warm-up steps, then linear decay to 0")
            ->check(CLI::Range(int64_t(0), int64_t(1000000)))->capture_default_str()->group(g);
        cmd.add_option("--finetune-weight-decay", m->fit.weightDecay, "condense: AdamW weight decay")
            ->check(nonNegativeNumber())->capture_default_str()->group(g);
        cmd.add_flag("--finetune-no-shared", m->noSharedFinetune, "condense: fine-tune only the kept routed experts")
            ->group(g);
        cmd.add_option("--train", m->train, "condense: fine-tuning text (plain, or JSONL with a 'text' field)")
            ->check(CLI::ExistingFile)->group(g);
    };
    method.run = [m](RunContext& ctx) { return runCondense(ctx, *m); };
    return method;
}

} // namespace moewb::cli
