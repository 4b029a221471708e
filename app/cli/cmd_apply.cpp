// moe-compress apply MODEL --session S.h5 --plan NAME [-n 8 -s 128] [--json]: builds the model a plan
// describes in memory (experts gone, factored matrices as two matmuls) and measures it against the
// original: parameters held (checked against the plan's accounting), resident weight bytes, and
// forward tokens/s on the same token blocks.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/eval/throughput.h"
#include "core/io/error.h"
#include "core/plan/apply.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include <iostream>

namespace moewb::cli {

namespace {

struct ApplyCommandOptions {
    std::string model, session, plan, dtype = "fp32";
    int64_t blocks = 8, length = 128, repeats = 3;
    bool json = false;
};

struct Measured {
    uint64_t parameters = 0, residentBytes = 0;
    double tokensPerSecond = 0;
};

// The timed passes show a bar; Ctrl-C stops inside a pass (moewb::Cancelled, exit 130).
Measured measure(MoeModel& model, const torch::Tensor& ids, int64_t repeats, const std::string& label)
{
    Measured m;
    for (const auto& [name, t] : model.namedParameters()) {
        m.parameters += static_cast<uint64_t>(t.numel());
        m.residentBytes += static_cast<uint64_t>(t.numel() * t.element_size());
    }
    // CD-MoE's constant expert weights are parameters too (the accounting counts them), held as
    // numbers rather than tensors.
    for (int i = 0; i < model.spec().numLayers; ++i)
        if (const auto w = model.layer(i); w.moe && w.moe->condensed)
            m.parameters += w.moe->condensedWeights.size();
    ProgressBar bar("timing " + label);
    m.tokensPerSecond = measureThroughput(model, ids, static_cast<int>(repeats), [&bar](double f) {
                            return bar.update(f);
                        }).tokensPerSecond;
    return m;
}

void run(const ApplyCommandOptions& o, const GlobalOptions& global)
{
    prepareRuntime(global);
    installInterruptHandler();
    const Session session = Session::open(o.session);
    const Plan& plan = sessionPlan(session, o.plan, o.session);
    const auto dtype = parseComputeDtype(o.dtype);
    auto original = MoeModel::open(o.model, ComputeOptions{dtype, torch::kCPU});
    requireSessionModel(session, *original);
    auto applied = MoeModel::open(o.model, ComputeOptions{dtype, torch::kCPU});
    original->makeResident();
    applied->makeResident();
    const auto info = applyPlan(*applied, plan, sessionTensorSource(session));
    torch::manual_seed(0);
    const auto ids = torch::randint(original->spec().vocabSize, {o.blocks, o.length}, torch::kLong);
    const Measured a = measure(*original, ids, o.repeats, "original"),
                   b = measure(*applied, ids, o.repeats, "plan " + plan.name);
    // The embedding, final norm and head are counted by both; the accounting must agree exactly.
    if (b.parameters != info.parameters)
        fail("apply: the applied model holds {} parameters, the plan's accounting says {}", b.parameters, info.parameters);
    const auto acc = accountPlan(original->spec(), plan);
    if (o.json) {
        nlohmann::json j = {{"model", o.model}, {"session", o.session}, {"plan", plan.name}, {"dtype", o.dtype},
                            {"threads", torch::get_num_threads()}, {"tokens", ids.numel()},
                            {"original", {{"parameters", a.parameters}, {"resident_bytes", a.residentBytes}, {"tokens_per_s", a.tokensPerSecond}}},
                            {"applied", {{"parameters", b.parameters}, {"resident_bytes", b.residentBytes}, {"tokens_per_s", b.tokensPerSecond}}},
                            {"export_bytes", {{"original", acc.sourceBytes}, {"applied", acc.resultBytes}}},
                            {"accounting_matches", true}};
        std::cout << j.dump(2) << "\n";
        return;
    }
    fmt::print("apply: plan '{}' on {} ({} compute, {} threads, {} x {} tokens, best of {})\n", plan.name, o.model, o.dtype,
               torch::get_num_threads(), o.blocks, o.length, o.repeats);
    fmt::print("  {:<22} {:>14} {:>14} {:>8}\n", "", "original", "applied", "ratio");
    fmt::print("  {:<22} {:>14} {:>14} {:>8.3f}\n", "parameters", a.parameters, b.parameters, double(b.parameters) / a.parameters);
    fmt::print("  {:<22} {:>14} {:>14} {:>8.3f}\n", "resident weight bytes", a.residentBytes, b.residentBytes,
               double(b.residentBytes) / a.residentBytes);
    fmt::print("  {:<22} {:>14} {:>14} {:>8.3f}\n", "checkpoint bytes", acc.sourceBytes, acc.resultBytes,
               double(acc.resultBytes) / std::max<uint64_t>(1, acc.sourceBytes));
    fmt::print("  {:<22} {:>14.0f} {:>14.0f} {:>8.3f}\n", "tokens/s (forward)", a.tokensPerSecond, b.tokensPerSecond,
               b.tokensPerSecond / a.tokensPerSecond);
    fmt::print("  parameters held = the plan's accounting ({}); {} of {} layers kept\n", info.parameters, info.keptLayers,
               original->spec().numLayers);
}

} // namespace

void registerApply(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<ApplyCommandOptions>();
    auto* cmd = app.add_subcommand("apply", "Build the model a session's plan describes and measure it against the original "
                                            "(parameters, resident bytes, tokens/s)");
    cmd->add_option("model", o->model, "Model folder (config.json + safetensors)")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--session", o->session, "Session file holding the plan")->required()->check(CLI::ExistingFile);
    cmd->add_option("--plan", o->plan, "Plan to apply")->required();
    cmd->add_option("-n,--blocks", o->blocks, "Token blocks per timed forward")->check(positiveNumber())->capture_default_str();
    cmd->add_option("-s,--block-len", o->length, "Tokens per block")->check(CLI::Range(int64_t{2}, int64_t{1} << 20))->capture_default_str();
    cmd->add_option("--repeats", o->repeats, "Timed forwards (best counts)")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "Compute dtype")->check(CLI::IsMember({"fp32", "fp64", "bf16"}))->capture_default_str();
    cmd->add_flag("--json", o->json, "Print the results as JSON");
    cmd->callback([o, &global] { run(*o, global); });
}

} // namespace moewb::cli
