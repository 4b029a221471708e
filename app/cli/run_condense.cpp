// `run --method condense`: CD-MoE (methods.md §3). Greedy expert selection per MoE layer (k_c kept
// experts with their mean gate weights, no router), then greedy layer selection (beam 1) to --layers
// condensed layers; the plan holds one CondenseLayer step per chosen layer.
#include "app/cli/progress.h"
#include "app/cli/run_command.h"
#include "core/compress/condense.h"
#include "core/io/error.h"

#include <fmt/format.h>

#include <chrono>

namespace moewb::cli {

namespace {

struct CondenseCliOptions {
    int layers = 1, experts = 2;
    std::string metric = "js";
    std::vector<int> candidateLayers;
};

Plan runCondense(RunContext& ctx, const CondenseCliOptions& m)
{
    const RunOptions& o = ctx.options;
    CondenseOptions co;
    co.layers = m.layers;
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
    };
    method.run = [m](RunContext& ctx) { return runCondense(ctx, *m); };
    return method;
}

} // namespace moewb::cli
