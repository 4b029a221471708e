// moe-compress run --method M MODEL --calib FILE ...: a compression method end to end (run_command.h).
// Common part: recipe, model, session, calibration, the method's plan, then evaluation of the applied
// plan against the original (perplexity and KL on held-out text, tasks) stored in the session, and a
// summary (or --json). Ctrl-C cancels at the next progress callback; the session on disk stays valid.
#include "app/cli/run_command.h"

#include "app/cli/progress.h"
#include "app/cli/stage_common.h"
#include "app/cli/validators.h"
#include "core/analysis/session_analysis.h"
#include "core/calib/dataset.h"
#include "core/eval/kl.h"
#include "core/eval/multiple_choice.h"
#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/text_format.h"
#include "core/io/tokenizer.h"
#include "core/plan/apply.h"
#include "core/plan/plan_name.h"

#include <fmt/format.h>

#include <iostream>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

// Recipe keys become the options of the same name when the command line did not give them.
void mergeRecipe(CLI::App& cmd, const std::string& path)
{
    std::string text;
    try {
        text = readWholeFile(path, kMaxConfigJsonBytes, "recipe");
    } catch (const Error& e) {
        fail("--recipe {}", e.what());
    }
    nlohmann::json recipe;
    try {
        recipe = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        fail("--recipe {}: not valid JSON ({})", path, printable(e.what(), kQuotedParseErrorBytes));
    }
    if (!recipe.is_object())
        fail("--recipe {}: expected a JSON object of option names and values", path);
    for (const auto& [key, value] : recipe.items()) {
        CLI::Option* opt = nullptr;
        try {
            opt = cmd.get_option(key == "model" ? "model" : "--" + key);
        } catch (const CLI::OptionNotFound&) {
            fail("--recipe {}: unknown option '{}' (see moe-compress run --help)", path, key);
        }
        if (opt->count() > 0)
            continue; // the command line wins
        auto add = [&](const nlohmann::json& v) {
            opt->add_result(v.is_string() ? v.get<std::string>() : v.is_boolean() ? (v.get<bool>() ? "true" : "false") : v.dump());
        };
        // A value the option refuses names the recipe ("--recipe r.json: 'ratio': --ratio: must be ...").
        try {
            if (value.is_array())
                for (const auto& v : value)
                    add(v);
            else
                add(value);
            opt->run_callback();
        } catch (const CLI::Error& e) {
            fail("--recipe {}: '{}': {}", path, key, e.what());
        }
    }
}

struct EvalOutcome {
    double originalPerplexity = 0, perplexity = 0, kl = 0, top1 = 0, tokensPerSecond = 0, originalTokensPerSecond = 0;
    std::optional<MultipleChoiceResult> tasks, originalTasks;
    int64_t tokens = 0;
    bool reused = false;
};

std::string evalName(const std::string& plan, const RunOptions& o, const std::string& text)
{
    std::string name = fmt::format("{} / {}", plan.empty() ? "original" : plan, fs::path(text).filename().string());
    if (!o.tasks.empty())
        name += " / " + fs::path(o.tasks).filename().string();
    return name;
}

EvalOutcome evaluate(const RunOptions& o, const MoeModel& original, const Plan& plan, Session& session,
                     const std::string& text, bool planRecomputed)
{
    EvalOutcome out;
    const std::string name = evalName(plan.name, o, text), originalName = evalName("", o, text);
    const auto& evals = session.evaluations();
    if (!planRecomputed && evals.count(name) && evals.count(originalName)) {
        const auto& e = evals.at(name).metrics;
        const auto& r = evals.at(originalName).metrics;
        out.reused = true;
        out.perplexity = e.at("perplexity");
        out.kl = e.at("kl");
        out.top1 = e.count("top1_agreement") ? e.at("top1_agreement") : 0;
        out.tokensPerSecond = e.count("tokens_per_s") ? e.at("tokens_per_s") : 0;
        out.originalPerplexity = r.at("perplexity");
        out.originalTokensPerSecond = r.count("tokens_per_s") ? r.at("tokens_per_s") : 0;
        if (e.count("acc")) {
            out.tasks = MultipleChoiceResult{e.at("acc"), 0, e.at("acc_norm"), 0, {}, {}};
            out.originalTasks = MultipleChoiceResult{r.at("acc"), 0, r.at("acc_norm"), 0, {}, {}};
        }
        return out;
    }
    const auto& spec = original.spec();
    auto applied = openComputeModel(o.model, parseComputeDtype(o.dtype), parseDevice(o.device));
    const auto info = applyPlan(*applied, plan, sessionTensorSource(session));
    const fs::path tok = o.tokenizer.empty() ? fs::path(o.model) / "tokenizer.json" : fs::path(o.tokenizer);
    const Tokenizer tokenizer = Tokenizer::fromFile(tok);
    BlockOptions bo{o.evalBlocks, o.evalLength > 0 ? o.evalLength : o.sequenceLength, BlockSelection::Sequential, 0};
    const auto blocks = loadTextBlocks(text, tokenizer, bo);
    out.tokens = blocks.tokens();
    EvalOptions eo;
    eo.batchTokens = o.batchTokens;
    ReferenceDistribution reference;
    {
        ProgressBar bar("evaluate original", static_cast<double>(blocks.tokens()));
        eo.progress = [&](double f) { return bar.update(f); };
        eo.model = fmt::format("{} (original)", o.model);
        reference = captureReference(modelLogits(original), blocks.ids, 0, eo);
    }
    KlResult kl;
    {
        ProgressBar bar("evaluate " + plan.name, static_cast<double>(blocks.tokens()));
        eo.progress = [&](double f) { return bar.update(f); };
        eo.model = fmt::format("{} (compressed, plan '{}')", o.model, plan.name);
        kl = compareWithReference(reference, modelLogits(*applied), eo);
    }
    out.originalPerplexity = kl.reference.perplexity;
    out.perplexity = kl.candidate.perplexity;
    out.kl = kl.meanKl;
    out.top1 = kl.top1Agreement;
    out.tokensPerSecond = kl.candidate.run.tokensPerSecond;
    out.originalTokensPerSecond = kl.reference.run.tokensPerSecond;
    if (!o.tasks.empty()) {
        const auto task = readMultipleChoiceTask(o.tasks);
        MultipleChoiceOptions mo;
        mo.batchTokens = o.batchTokens;
        mo.maxLength = spec.maxPositionEmbeddings;
        const auto questions = encodeQuestions(task, tokenizer, mo);
        auto score = [&](const MoeModel& m, const std::string& label) {
            ProgressBar bar("tasks " + label, static_cast<double>(questions.size()), "q");
            mo.progress = [&](double f) { return bar.update(f); };
            return scoreMultipleChoice(modelLogits(m), questions, mo);
        };
        out.originalTasks = score(original, "original");
        out.tasks = score(*applied, plan.name);
    }
    const auto acc = accountPlan(spec, plan);
    Evaluation e{name, plan.name, {}, {{"text", text}, {"tasks", o.tasks}, {"block_length", bo.blockLength}}, {}};
    e.metrics = {{"perplexity", out.perplexity}, {"kl", out.kl}, {"top1_agreement", out.top1},
                 {"tokens_per_s", out.tokensPerSecond}, {"params", double(info.parameters)},
                 {"bytes", double(info.weightBytes)}};
    Evaluation r{originalName, "", {}, e.details, {}};
    r.metrics = {{"perplexity", out.originalPerplexity}, {"tokens_per_s", out.originalTokensPerSecond},
                 {"params", double(acc.source.total())}, {"bytes", double(acc.sourceBytes)}};
    if (out.tasks) {
        e.metrics["acc"] = out.tasks->acc;
        e.metrics["acc_norm"] = out.tasks->accNorm;
        r.metrics["acc"] = out.originalTasks->acc;
        r.metrics["acc_norm"] = out.originalTasks->accNorm;
    }
    session.setEvaluation(std::move(e));
    session.setEvaluation(std::move(r));
    return out;
}

void printSummary(const RunOptions& o, const std::string& sessionPath, const ModelSpec& spec, const Plan& plan,
                  const RunContext& ctx, const std::optional<EvalOutcome>& ev, double seconds)
{
    const auto acc = accountPlan(spec, plan);
    nlohmann::json j = {{"method", o.method}, {"model", o.model}, {"session", sessionPath}, {"plan", plan.name},
                        {"plan_parameters", plan.parameters}, {"seconds", seconds}};
    j["parameters"] = {{"original", acc.source.total()}, {"compressed", acc.result.total()},
                       {"routed_experts_original", acc.source.byComponent[Component::RoutedExperts]},
                       {"routed_experts_compressed", acc.result.byComponent[Component::RoutedExperts]}};
    j["bytes"] = {{"original", acc.sourceBytes}, {"compressed", acc.resultBytes}};
    nlohmann::json timings = nlohmann::json::object();
    for (const auto& [stage, s] : ctx.timings)
        timings[stage] = s;
    j["timings"] = timings;
    j["details"] = ctx.details;
    if (ev) {
        j["evaluation"] = {{"text", o.evalText.empty() ? o.calib : o.evalText}, {"tokens", ev->tokens},
                           {"reused", ev->reused}, {"perplexity_original", ev->originalPerplexity},
                           {"perplexity", ev->perplexity}, {"kl", ev->kl}, {"top1_agreement", ev->top1},
                           {"tokens_per_s_original", ev->originalTokensPerSecond}, {"tokens_per_s", ev->tokensPerSecond}};
        if (ev->tasks)
            j["evaluation"]["tasks"] = {{"acc_original", ev->originalTasks->acc}, {"acc", ev->tasks->acc},
                                        {"acc_norm_original", ev->originalTasks->accNorm}, {"acc_norm", ev->tasks->accNorm}};
    }
    if (o.json) {
        std::cout << j.dump(2) << "\n";
        return;
    }
    fmt::print("\n{} on {}: plan '{}' in {}\n", o.method, o.model, plan.name, sessionPath);
    fmt::print("  parameters   {:>12} -> {:>12}  ({:.1f}% fewer)\n", acc.source.total(), acc.result.total(),
               100.0 * (1.0 - double(acc.result.total()) / double(acc.source.total())));
    fmt::print("  weight bytes {:>12} -> {:>12}\n", acc.sourceBytes, acc.resultBytes);
    if (ev) {
        fmt::print("  perplexity   {:>12.3f} -> {:>12.3f}  (KL {:.4f} nats/token, top-1 agreement {:.1f}%){}\n",
                   ev->originalPerplexity, ev->perplexity, ev->kl, 100 * ev->top1, ev->reused ? "  [from the session]" : "");
        if (ev->tasks)
            fmt::print("  tasks acc    {:>12.3f} -> {:>12.3f}  (acc_norm {:.3f} -> {:.3f})\n", ev->originalTasks->acc,
                       ev->tasks->acc, ev->originalTasks->accNorm, ev->tasks->accNorm);
        if (ev->tokensPerSecond > 0)
            fmt::print("  tokens/s     {:>12.0f} -> {:>12.0f}\n", ev->originalTokensPerSecond, ev->tokensPerSecond);
    }
    std::string stages;
    for (const auto& [stage, s] : ctx.timings)
        stages += fmt::format("{}{} {:.1f} s", stages.empty() ? "" : ", ", stage, s);
    fmt::print("  took {:.1f} s{}\n", seconds, stages.empty() ? "" : " (" + stages + ")");
}

void run(CLI::App& cmd, RunOptions& o, const GlobalOptions& global, const std::vector<RunMethod>& methods)
{
    if (!o.recipe.empty())
        mergeRecipe(cmd, o.recipe);
    if (o.model.empty())
        fail("run: no model folder given (positional MODEL or \"model\" in the recipe)");
    if (!fs::is_directory(o.model))
        fail("run: model folder {} does not exist", o.model);
    if (const auto problem = planNameProblem(o.planName); !o.planName.empty() && problem != PlanNameProblem::None)
        fail("run: --plan-name '{}': {}", o.planName, planNameProblemText(problem));
    const auto method = std::find_if(methods.begin(), methods.end(), [&](const RunMethod& m) { return m.name == o.method; });
    if (method == methods.end()) {
        std::vector<std::string> names;
        for (const auto& m : methods)
            names.push_back(m.name);
        fail("run: unknown method '{}' (available: {})", o.method, fmt::join(names, ", "));
    }
    prepareRuntime(global);
    installInterruptHandler();
    const auto start = std::chrono::steady_clock::now();
    auto model = openComputeModel(o.model, parseComputeDtype(o.dtype), parseDevice(o.device));
    const std::string sessionPath = !o.session.empty()
        ? o.session
        : (fs::path(o.model).filename().string() + "-" + o.method + ".h5");
    Session session = openOrCreateSession(sessionPath);
    if (o.calib.empty() && !session.calibration())
        fail("run: give the calibration text with --calib FILE");
    const auto blocks = loadCalibrationBlocks({o.model, o.calib, o.tokenizer, o.samples, o.sequenceLength, o.calibSeed},
                                              session, model->spec(), "run");
    RunContext ctx{o, global, *model, session, sessionPath, blocks, {}, nlohmann::json::object()};
    prepareSession(ctx);
    Plan plan = method->run(ctx);
    if (plan.method.empty())
        plan.method = o.method;
    if (const auto issues = validatePlan(model->spec(), plan); !issues.empty())
        fail("run: the {} plan is invalid: {}", o.method, fmt::join(issues, "; "));
    const bool reused = ctx.details.value("reused", false);
    const auto existing = session.plans().find(plan.name);
    const bool changed = existing == session.plans().end() || !(existing->second.plan == plan);
    if (changed)
        session.setPlan(plan);
    if (!session.missingTensors(plan).empty())
        fail("run: the session lacks tensors the plan needs: {}", fmt::join(session.missingTensors(plan), ", "));
    session.save(sessionPath);

    std::optional<EvalOutcome> ev;
    if (!o.noEval) {
        const std::string text = !o.evalText.empty() ? o.evalText
            : !o.calib.empty()                        ? o.calib
                                                      : session.calibration()->dataPath.string();
        const auto t = std::chrono::steady_clock::now();
        ev = evaluate(o, *model, plan, session, text, changed || !reused);
        if (!ev->reused)
            ctx.timings.emplace_back("evaluation", secondsSince(t));
        session.save(sessionPath);
    }
    printSummary(o, sessionPath, model->spec(), plan, ctx, ev, secondsSince(start));
}

} // namespace

std::vector<RunMethod> runMethods()
{
    return {moeI2Method(), expertDropMethod(), layerDropMethod(), blockDropMethod(), wandaMethod(), sparseGptMethod(),
            condenseMethod()};
}

void prepareSession(RunContext& context)
{
    bindSession(context.session, context.model, context.calibration);
}

void registerRun(CLI::App& app, GlobalOptions& global)
{
    auto o = std::make_shared<RunOptions>();
    auto methods = std::make_shared<std::vector<RunMethod>>(runMethods());
    std::string names;
    for (const auto& m : *methods)
        names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", m.name, m.description);
    auto* cmd = app.add_subcommand("run", "A compression method end to end: calibration, the method's stages, the plan "
                                          "into the session, evaluation against the original, a summary");
    cmd->add_option("model", o->model, "Model folder (config.json + safetensors)");
    cmd->add_option("--method", o->method, "Method: " + names)->capture_default_str();
    cmd->add_option("--calib", o->calib, "Calibration text (plain or JSONL) or .ids (default: the session's)")->check(CLI::ExistingFile);
    cmd->add_option("--session", o->session, "Session file (.h5), created when absent (default: MODEL-METHOD.h5 here)");
    cmd->add_option("--recipe", o->recipe, "JSON object of option names and values; the command line wins")
        ->check(CLI::ExistingFile);
    cmd->add_option("--tokenizer", o->tokenizer, "tokenizer.json (default: MODEL/tokenizer.json)");
    cmd->add_option("--plan-name", o->planName, "Name of the result plan (default: the method's)");
    cmd->add_option("-n,--samples,--blocks", o->samples, "Calibration blocks")->check(positiveNumber())->capture_default_str();
    cmd->add_option("-s,--seq-len,--block-len", o->sequenceLength, "Tokens per calibration block")
        ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))
        ->capture_default_str();
    cmd->add_option("--calib-seed", o->calibSeed, "Seed drawing the calibration windows")->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed of the method's random choices")->capture_default_str();
    cmd->add_option("--eval-text", o->evalText, "Held-out text for perplexity and KL (default: the calibration file)")->check(CLI::ExistingFile);
    cmd->add_option("--eval-blocks", o->evalBlocks, "Evaluation windows (0 = all)")->check(nonNegativeNumber())->capture_default_str();
    cmd->add_option("--eval-len", o->evalLength, "Tokens per evaluation window (default: --seq-len)")->check(nonNegativeNumber());
    cmd->add_option("--tasks", o->tasks, "Multiple-choice questions (JSONL) for task accuracy")->check(CLI::ExistingFile);
    cmd->add_flag("--no-eval", o->noEval, "Skip the evaluation");
    cmd->add_option("--batch-tokens", o->batchTokens, "Tokens through a layer at once")->check(positiveNumber())->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "Compute dtype")->check(CLI::IsMember({"fp32", "fp64", "bf16"}))->capture_default_str();
    cmd->add_option("--device", o->device, "cpu or cuda[:N]")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print the summary as JSON");
    for (const auto& m : *methods)
        m.addOptions(*cmd);
    cmd->callback([cmd, o, &global, methods] { run(*cmd, *o, global, *methods); });
}

} // namespace moewb::cli
