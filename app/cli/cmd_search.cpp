// moe-compress search MODEL --session S.h5 [--calib FILE] [--ratio R] [--K K] [--T T] [--population N]
// [--generations G] [--seed S] [--json]: the MoE-I² search (methods.md 1.3-1.4, docs/search.md).
// Per-layer pruning counts come from the analysis stage (reused from the session when it matches the
// model and calibration data), the genetic search runs on every MoE layer's exact fast loss, the KT block search on the
// layers' K best sets; LayerSearch / BlockSearch records and the plan are written into the session.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/search_report.h"
#include "core/analysis/session_analysis.h"
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/search/search_inputs.h"
#include "core/session/session.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct SearchCommandOptions {
    std::string model, session, calib, tokenizer, dtype = "fp32", planName = "moe-i2-search";
    double ratio = -1;  // < 0: the session's allocation ratio, else 0.25
    int K = 3, T = 3, population = 100, generations = 50;
    uint64_t seed = 0, calibSeed = 0;
    int64_t samples = 32, sequenceLength = 512, sequencesPerPass = 8, batchTokens = 2048;
    bool json = false, noBlocks = false, forceGenetic = false;
};

constexpr uint64_t kResidentBytes = 1ull << 30;

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The calibration blocks: --calib FILE (text, JSONL or .ids token ids), else the file the session names.
TokenBlocks loadCalibration(const SearchCommandOptions& o, const Session& session, const ModelSpec& spec)
{
    fs::path path = o.calib;
    BlockOptions bo{o.samples, o.sequenceLength, BlockSelection::Random, o.calibSeed};
    if (path.empty()) {
        if (!session.calibration())
            fail("search: {} holds no calibration settings; pass --calib FILE", o.session);
        const auto& c = *session.calibration();
        path = c.dataPath;
        bo = BlockOptions{c.samples, c.sequenceLength, BlockSelection::Random, c.seed};
    }
    if (path.extension() == ".ids")
        return loadTokenIdBlocks(path, bo, spec.vocabSize);
    const fs::path tok = o.tokenizer.empty() ? fs::path(o.model) / "tokenizer.json" : fs::path(o.tokenizer);
    std::error_code ec;
    if (!fs::exists(tok, ec))
        fail("{}: no tokenizer.json in the model folder; pass --tokenizer FILE (or token ids in a .ids file)", o.model);
    return loadTextBlocks(path, Tokenizer::fromFile(tok), bo);
}

// Analysis stage (core/analysis/session_analysis.h): importance and router statistics reused from the
// session when they match the model and data, else computed; pruning counts for the ratio, keeping
// counts fixed by hand in the session's allocation.
std::map<int, int> pruningCounts(const MoeModel& model, const TokenBlocks& blocks, Session& session, const SearchCommandOptions& o)
{
    SessionAnalysisOptions ao;
    ao.ratio = o.ratio >= 0 ? o.ratio : session.allocation() ? session.allocation()->ratio : 0.25;
    ao.batchTokens = o.batchTokens;
    if (const auto& a = session.allocation())
        for (size_t i = 0; i < a->layers.size() && i < a->overridden.size(); ++i)
            if (a->overridden[i])
                ao.overrides[a->layers[i]] = a->counts[i];
    ProgressBar bar("analysis", static_cast<double>(blocks.tokens()));
    ao.progress = [&](double f) { return bar.update(f); };
    const auto analysis = analyzeIntoSession(model, blocks, session, o.session, ao);
    std::map<int, int> counts;
    for (size_t i = 0; i < analysis.layers.size(); ++i)
        counts[analysis.layers[i].layer] = analysis.allocation.counts[i];
    return counts;
}

void run(const SearchCommandOptions& o, const GlobalOptions& global)
{
    prepareRuntime(global);
    installInterruptHandler();
    const auto dtype = o.dtype == "fp64" ? torch::kDouble : o.dtype == "bf16" ? torch::kBFloat16 : torch::kFloat;
    auto model = MoeModel::open(o.model, ComputeOptions{dtype, torch::kCPU});
    if (model->checkpoint().totalBytes() <= kResidentBytes)
        model->makeResident();
    const auto& spec = model->spec();
    const auto moeLayers = spec.moeLayerIndices();
    if (moeLayers.empty())
        fail("search: {} has no MoE layers", o.model);

    std::error_code ec;
    Session session = fs::exists(o.session, ec) ? Session::open(o.session) : Session();
    const auto blocks = loadCalibration(o, session, spec);

    SearchReport report;
    auto start = std::chrono::steady_clock::now();
    const auto counts = pruningCounts(*model, blocks, session, o);
    std::vector<int> blockStarts;
    for (const auto& b : partitionBlocks(moeLayers, o.T))
        blockStarts.push_back(b.front());
    SearchInputs inputs;
    {
        ProgressBar bar("calibration", static_cast<double>(blocks.tokens()));
        inputs = captureSearchInputs(*model, blocks.ids, counts, o.noBlocks ? std::vector<int>{} : blockStarts,
                                     [&](double f) { return bar.update(f); }, o.batchTokens);
    }
    report.calibrationSeconds = secondsSince(start);

    ModelSearchOptions so;
    so.genetic.population = o.population;
    so.genetic.generations = o.generations;
    so.genetic.keep = o.K;
    so.genetic.seed = o.seed;
    so.genetic.forceGenetic = o.forceGenetic;
    so.kt.blockSize = o.T;
    so.kt.sequencesPerPass = o.sequencesPerPass;
    so.blockSearch = !o.noBlocks;
    so.planName = o.planName;
    const auto problems = layerProblems(inputs, counts);
    int totalGenerations = 0;
    for (const auto& p : problems)
        totalGenerations += expectedGenerations(p, so.genetic);
    start = std::chrono::steady_clock::now();
    ModelSearchResult result;
    {
        ProgressBar bar("genetic search", totalGenerations, "gen");
        int done = 0;
        so.onGeneration = [&](int, const GenerationStats&) { return bar.update(double(++done) / totalGenerations); };
        result.layers = searchLayers(problems, so);
    }
    report.geneticSeconds = secondsSince(start);
    start = std::chrono::steady_clock::now();
    if (so.blockSearch) {
        ProgressBar bar("block search");
        so.kt.candidates = o.K;
        so.kt.progress = [&](double f) { return bar.update(f); };
        result.blocks = searchBlocks(*model, layerCandidates(result.layers), [&](int l) { return inputs.layerInputs.at(l); },
                                     so.kt, &result.ktCounters);
    }
    report.blockSeconds = secondsSince(start);
    result.plan = removalPlan(result.layers, so.blockSearch ? &result.blocks : nullptr, so);
    result.plan.parameters["ratio"] = session.allocation()->ratio;
    if (const auto issues = validatePlan(spec, result.plan); !issues.empty())
        fail("search: the plan is invalid: {}", fmt::join(issues, "; "));

    session.clearSearches();
    for (const auto& l : result.layers)
        session.setSearch(l);
    if (!so.blockSearch)
        result.blocks = BlockSearch{o.K, o.T, {}, {}};  // replaces an earlier block search: none ran
    session.setBlockSearch(result.blocks);
    session.setPlan(result.plan);
    session.provenance().parameters["search"] = result.plan.parameters;
    session.provenance().timings["search_calibration"] = report.calibrationSeconds;
    session.provenance().timings["search_genetic"] = report.geneticSeconds;
    session.provenance().timings["search_blocks"] = report.blockSeconds;
    session.save(o.session);

    report.model = o.model;
    report.session = o.session;
    report.tokens = blocks.tokens();
    report.result = &result;
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
    cmd->add_option("-n,--blocks,--samples", o->samples, "Calibration blocks (n)")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("-s,--block-len,--seq-len", o->sequenceLength, "Tokens per calibration block (s)")
        ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))
        ->capture_default_str();
    cmd->add_option("--calib-seed", o->calibSeed, "Seed drawing the calibration windows")->capture_default_str();
    cmd->add_option("--ratio", o->ratio, "Fraction of all routed experts to remove (default: the session's, else 0.25)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--batch-tokens", o->batchTokens, "Calibration pass: tokens through a layer at once")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--K", o->K, "Candidate sets kept per layer")->check(CLI::Range(1, 16))->capture_default_str();
    cmd->add_option("--T", o->T, "MoE layers per block")->check(CLI::Range(1, 8))->capture_default_str();
    cmd->add_option("--population", o->population, "Genetic population N")->check(CLI::Range(2, 100000))->capture_default_str();
    cmd->add_option("--generations", o->generations, "Generations G")->check(CLI::Range(1, 100000))->capture_default_str();
    cmd->add_option("--seed", o->seed, "Search seed")->capture_default_str();
    cmd->add_flag("--force-genetic", o->forceGenetic, "Search genetically even where enumeration is cheaper");
    cmd->add_flag("--no-blocks", o->noBlocks, "Skip the KT block search: the plan takes each layer's best set");
    cmd->add_option("--sequences-per-pass", o->sequencesPerPass, "Block search: calibration sequences per forward")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "Compute dtype")->check(CLI::IsMember({"fp32", "fp64", "bf16"}))->capture_default_str();
    cmd->add_option("--plan-name", o->planName, "Name of the plan in the session")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print the results as JSON");
    cmd->callback([o, &global] { run(*o, global); });
}

} // namespace moewb::cli
