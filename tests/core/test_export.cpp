// Exporting applied plans (core/export, issue #13): every kind round-trips through MoeModel::open on
// the demo models; standard and extended exports agree with an independent computation (the source
// model with experts masked and sublayers skipped through LayerOverride); the extended config
// parses back to the per-layer structure; and every failure path (target inside the source, non-empty
// target, no room, cancel, a write failing as on a full disk) leaves nothing behind.
#include "core/export/export.h"
#include "core/io/error.h"
#include "core/io/param_count.h"
#include "core/io/tensor_layout.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/plan/plan.h"
#include "support/file_size_limit.h"
#include "support/paths.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <fstream>

using namespace moewb;
namespace fs = std::filesystem;
using test::TempDir;

namespace {

// One thread before any tensor work: the RLIMIT_FSIZE case forks, and a child must not inherit an
// OpenMP pool it cannot use.
[[maybe_unused]] const bool kSingleThread = [] {
    torch::set_num_threads(1);
    return true;
}();

fs::path demo(const std::string& arch) { return test::sourceDir() / "resources" / "demo" / "models" / arch; }

std::unique_ptr<MoeModel> openDemo(const std::string& arch)
{
    auto model = MoeModel::open(demo(arch), ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    return model;
}

std::pair<torch::Tensor, torch::Tensor> svdFactors(const torch::Tensor& w, int64_t rank)
{
    auto [u, s, vh] = torch::linalg_svd(w.to(torch::kDouble), false);
    auto a = u.narrow(1, 0, rank) * s.narrow(0, 0, rank).unsqueeze(0);
    return {a.to(w.scalar_type()), vh.narrow(0, 0, rank).to(w.scalar_type())};
}

// The plan's structure applied by hand (experts selected, plain-SVD factors, condensed and dropped
// sublayers); block-dropped layers stay in the model and export skips them.
void applyByHand(MoeModel& model, const Plan& plan)
{
    const ResolvedPlan resolved = resolvePlan(model.spec(), plan);
    model.makeResident();
    for (int i = 0; i < model.spec().numLayers; ++i) {
        const ResolvedLayer& l = resolved.layers[static_cast<size_t>(i)];
        DecoderLayerWeights w = model.layer(i);
        if (l.blockDropped || !w.moe)
            continue;
        if (l.moeDropped) {
            w.moeDropped = true;
            w.moe.reset();
            model.setLayer(i, std::move(w));
            continue;
        }
        MoeWeights m;
        std::vector<int64_t> rows;
        for (int e : l.experts) {
            const auto it = std::find(w.moe->expertIds.begin(), w.moe->expertIds.end(), e);
            REQUIRE(it != w.moe->expertIds.end());
            const auto k = static_cast<size_t>(it - w.moe->expertIds.begin());
            SwiGlu expert = w.moe->experts[k];
            if (auto r = l.ranks.find(e); r != l.ranks.end())
                for (Linear* lin : {&expert.gate, &expert.up, &expert.down}) {
                    std::tie(lin->a, lin->b) = svdFactors(lin->weight, r->second.rank);
                    lin->weight = torch::Tensor();
                }
            m.experts.push_back(std::move(expert));
            m.expertIds.push_back(e);
            rows.push_back(static_cast<int64_t>(k));
        }
        m.condensed = l.condensed;
        m.condensedWeights = l.condensedWeights;
        if (!l.condensed)
            m.router = w.moe->router.index_select(0, torch::tensor(rows, torch::kLong));
        m.shared = w.moe->shared;
        m.sharedGate = w.moe->sharedGate;
        w.moe = std::move(m);
        model.setLayer(i, std::move(w));
    }
}

std::vector<int> range(int from, int to)
{
    std::vector<int> out;
    for (int i = from; i < to; ++i)
        out.push_back(i);
    return out;
}

torch::Tensor sampleIds(const ModelSpec& spec)
{
    return torch::arange(0, 2 * 24, torch::kLong).mul(37).remainder(spec.vocabSize).reshape({2, 24});
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

nlohmann::json readJson(const fs::path& path)
{
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

ExportOptions optionsFor(const fs::path& target)
{
    ExportOptions o;
    o.target = target;
    return o;
}

// Temporary siblings the writers leave when something goes wrong: ".<name>.tmp-...".
std::vector<std::string> leftovers(const TempDir& dir)
{
    std::vector<std::string> out;
    for (const auto& name : dir.entries())
        if (name.find(".tmp-") != std::string::npos)
            out.push_back(name);
    return out;
}

} // namespace

TEST_CASE("standard export: uniform expert removal and a dropped block load as the stock architecture")
{
    for (const std::string arch : {"mixtral", "qwen", "deepseek"}) {
        CAPTURE(arch);
        auto source = openDemo(arch);
        const ModelSpec& spec = source->spec();
        Plan plan{"drop2", "expert-drop", {{"ratio", 0.25}}, {}};
        std::map<int, LayerOverride> overrides;
        const int dropped = spec.numLayers - 2; // a MoE layer in every demo model
        plan.steps.push_back(DropBlock{dropped});
        overrides[dropped].skipLayer = true;
        for (int i : spec.moeLayerIndices()) {
            if (i == dropped)
                continue;
            const std::vector<int> removed = {i % 3, 3 + i % 2}; // two per layer, varying
            plan.steps.push_back(RemoveExperts{i, removed});
            overrides[i].removedExperts = removed;
        }
        applyByHand(*source, plan);
        TempDir dir;
        auto options = optionsFor(dir.path / "out");
        const auto report = exportModel(*source, plan, options);
        CHECK(report.preview.kind == ExportKind::Standard);
        CHECK(report.preview.notStandard.empty());
        CHECK(report.verification.passed);
        CHECK(report.verification.maxDiff == 0.0); // bf16 weights written as bf16: bit-identical
        CHECK(report.roundedTensors == 0);

        // The folder: a stock config with the edited fields, tokenizer, card, provenance.
        const auto config = readJson(dir.path / "out" / "config.json");
        CHECK(config["num_hidden_layers"] == spec.numLayers - 1);
        CHECK(!config.contains(kCompressionKey));
        CHECK(config["architectures"][0] == spec.architectureName);
        for (const char* file : {"tokenizer.json", "tokenizer_config.json", "README.md", "moewb_export.json",
                 "model.safetensors"})
            CHECK(fs::exists(dir.path / "out" / file));
        CHECK(leftovers(dir).empty());

        auto back = MoeModel::open(dir.path / "out", ComputeOptions{torch::kFloat, torch::kCPU});
        CHECK(!back->spec().extended);
        CHECK(back->spec().numLayers == spec.numLayers - 1);
        for (const auto& l : back->spec().layers)
            if (l.kind == LayerKind::Moe)
                CHECK(l.numExperts == spec.layers[static_cast<size_t>(spec.moeLayerIndices().front())].numExperts - 2);
        CHECK(countParameters(back->spec()).total == report.preview.parameters);
        CHECK(countParameters(back->spec()).total == accountPlan(spec, plan).result.total());

        // Independent: the source model with those experts masked and the block skipped.
        const auto ids = sampleIds(spec);
        auto fresh = openDemo(arch);
        ForwardOptions fo;
        fo.overrides = overrides;
        const auto expected = fresh->forward(ids, {}, fo).logits;
        const auto got = back->forward(ids).logits;
        CHECK(maxDiff(got, expected) <= 1e-4 * expected.abs().max().item<double>());
    }
}

TEST_CASE("extended export: per-layer counts, factored experts, dropped and condensed sublayers")
{
    for (const std::string arch : {"mixtral", "qwen", "deepseek"}) {
        CAPTURE(arch);
        auto source = openDemo(arch);
        const ModelSpec& spec = source->spec();
        const auto moe = spec.moeLayerIndices();
        REQUIRE(moe.size() >= 5);
        const int E = spec.layers[static_cast<size_t>(moe[0])].numExperts;
        Plan plan{"mixed", "test", {}, {}};
        plan.steps.push_back(RemoveExperts{moe[0], {1}});
        plan.steps.push_back(RemoveExperts{moe[1], {0, 2, 5}});
        plan.steps.push_back(FactorExperts{moe[1], {ExpertRank{1, 8, SvdMode::Plain}, ExpertRank{3, 16, SvdMode::Plain}}, {}});
        plan.steps.push_back(DropMoeSublayer{moe[2]});
        plan.steps.push_back(CondenseLayer{moe[3], {2, 4}, {0.25, 0.5}});
        plan.steps.push_back(DropBlock{moe[4]});
        applyByHand(*source, plan);

        TempDir dir;
        const auto report = exportModel(*source, plan, optionsFor(dir.path / "out"));
        const auto& p = report.preview;
        CHECK(p.kind == ExportKind::Extended);
        CHECK(p.notStandard.size() >= 3); // counts differ, factored, dropped sublayer, condensed
        CHECK(!p.notDense.empty());       // condensed: no exact stock form
        CHECK(report.verification.passed);
        CHECK(report.verification.maxDiff <= report.verification.tolerance);
        CHECK(report.roundedTensors > 0); // fp32 SVD factors stored as bf16
        INFO("diff vs in-memory ", report.verification.maxDiffInMemory);
        CHECK(report.verification.maxDiffInMemory < 0.05 * report.verification.logitScale);
        CHECK(fs::exists(dir.path / "out" / ("modeling_moewb_" + spec.modelType + ".py")));
        const auto config = readJson(dir.path / "out" / "config.json");
        CHECK(config["model_type"] == "moewb_" + spec.modelType);
        CHECK(config["auto_map"]["AutoModelForCausalLM"].get<std::string>().find("Moewb") != std::string::npos);

        // The config parses back to the per-layer structure (output layers renumbered).
        auto back = MoeModel::open(dir.path / "out", ComputeOptions{torch::kFloat, torch::kCPU});
        const ModelSpec& out = back->spec();
        CHECK(out.extended);
        CHECK(out.numLayers == spec.numLayers - 1);
        CHECK(out.layers[static_cast<size_t>(moe[0])].numExperts == E - 1);
        const auto& f = out.layers[static_cast<size_t>(moe[1])];
        CHECK(f.numExperts == E - 3);
        CHECK(f.sourceExperts == std::vector<int>{[&] {
            std::vector<int> v = range(0, E);
            v.erase(std::remove_if(v.begin(), v.end(), [](int e) { return e == 0 || e == 2 || e == 5; }), v.end());
            return v;
        }()});
        CHECK(f.expertRanks == std::map<int, int>{{0, 8}, {1, 16}}); // experts 1 and 3 are the first two kept
        CHECK(out.layers[static_cast<size_t>(moe[2])].mlpDropped);
        CHECK(out.layers[static_cast<size_t>(moe[3])].condensed);
        CHECK(out.layers[static_cast<size_t>(moe[3])].condensedWeights == std::vector<double>{0.25, 0.5});
        CHECK(out.layers[static_cast<size_t>(moe[3])].sourceExperts == std::vector<int>{2, 4});
        CHECK(out.layers[static_cast<size_t>(moe[4])].sourceLayer == moe[4] + 1);
        // Stored parameters: what the plan accounting predicts (its CD-MoE weights live in config.json).
        const auto accounting = accountPlan(spec, plan);
        CHECK(countParameters(out).total == accounting.result.byComponent.sum());
        CHECK(countParameters(out).total == p.parameters);
        const auto layer = back->layer(moe[1]);
        CHECK(layer.moe->experts[0].gate.factored());
        CHECK(layer.moe->experts[0].gate.rank() == 8);
        CHECK(!layer.moe->experts[2].gate.factored());
        CHECK(!back->layer(moe[3]).moe->router.defined());
        CHECK(back->layer(moe[2]).moeDropped);
    }
}

TEST_CASE("extended export without factors or condensing agrees with masking the source model")
{
    auto source = openDemo("qwen");
    const ModelSpec& spec = source->spec();
    Plan plan{"uneven", "test", {}, {}};
    std::map<int, LayerOverride> overrides;
    plan.steps.push_back(RemoveExperts{0, {3, 7, 11}});
    overrides[0].removedExperts = {3, 7, 11};
    plan.steps.push_back(RemoveExperts{2, {1}});
    overrides[2].removedExperts = {1};
    plan.steps.push_back(DropMoeSublayer{4});
    overrides[4].skipMlp = true;
    plan.steps.push_back(DropBlock{1});
    overrides[1].skipLayer = true;
    applyByHand(*source, plan);
    TempDir dir;
    const auto report = exportModel(*source, plan, optionsFor(dir.path / "out"));
    CHECK(report.preview.kind == ExportKind::Extended);
    CHECK(report.verification.maxDiff == 0.0);
    auto back = MoeModel::open(dir.path / "out", ComputeOptions{torch::kFloat, torch::kCPU});
    auto fresh = openDemo("qwen");
    ForwardOptions fo;
    fo.overrides = overrides;
    const auto ids = sampleIds(spec);
    const auto expected = fresh->forward(ids, {}, fo).logits;
    CHECK(maxDiff(back->forward(ids).logits, expected) <= 1e-4 * expected.abs().max().item<double>());
}

TEST_CASE("exports of applyPlan's model equal those of the plan applied by hand")
{
    for (const std::string arch : {"qwen", "deepseek"}) {
        CAPTURE(arch);
        auto byHand = openDemo(arch);
        auto applied = openDemo(arch);
        const auto moe = byHand->spec().moeLayerIndices();
        Plan plan{"mixed", "test", {}, {}};
        plan.steps.push_back(RemoveExperts{moe[1], {0, 2, 5}});
        plan.steps.push_back(FactorExperts{moe[1], {ExpertRank{1, 8, SvdMode::Plain}}, {}});
        plan.steps.push_back(DropMoeSublayer{moe[2]});
        plan.steps.push_back(CondenseLayer{moe[3], {2, 4}, {0.25, 0.5}});
        plan.steps.push_back(DropBlock{moe[4]});
        applyByHand(*byHand, plan);
        applyPlan(*applied, plan);
        TempDir dir;
        const auto a = exportModel(*byHand, plan, optionsFor(dir.path / "hand"));
        const auto b = exportModel(*applied, plan, optionsFor(dir.path / "apply"));
        CHECK(b.verification.passed);
        CHECK(a.preview.manifest.size() == b.preview.manifest.size());
        auto ra = MoeModel::open(dir.path / "hand", ComputeOptions{torch::kFloat, torch::kCPU});
        auto rb = MoeModel::open(dir.path / "apply", ComputeOptions{torch::kFloat, torch::kCPU});
        const auto ids = sampleIds(byHand->spec());
        const auto la = ra->forward(ids).logits;
        CHECK(maxDiff(la, rb->forward(ids).logits) <= 1e-4 * la.abs().max().item<double>());
    }
}

TEST_CASE("dense-compatible export: factors multiplied back, a dropped sublayer as zeros, stock config")
{
    auto source = openDemo("deepseek");
    const ModelSpec& spec = source->spec();
    const auto moe = spec.moeLayerIndices();
    Plan plan{"lowrank", "moe-i2", {}, {}};
    for (int i : moe)
        if (i != moe[1])
            plan.steps.push_back(RemoveExperts{i, {0, 1}});
    plan.steps.push_back(FactorExperts{moe[0], {ExpertRank{2, 12, SvdMode::Plain}}, {}});
    plan.steps.push_back(DropMoeSublayer{moe[1]});
    applyByHand(*source, plan);

    TempDir dir;
    ExportOptions auto_ = optionsFor(dir.path / "auto");
    const auto preview = previewExport(*source, plan, auto_);
    CHECK(preview.kind == ExportKind::Extended); // auto keeps the factors
    CHECK(preview.notDense.empty());

    ExportOptions options = optionsFor(dir.path / "dense");
    options.kind = ExportKind::Dense;
    options.dtype = DType::F32;
    const auto report = exportModel(*source, plan, options);
    CHECK(report.preview.kind == ExportKind::Dense);
    CHECK(report.preview.notes.size() == 1); // the zero-weight sublayer
    CHECK(report.verification.passed);
    // fp32 dense products of fp32 factors: the only difference is x(AB)^T vs (xB^T)A^T.
    CHECK(report.verification.maxDiffInMemory < 1e-3 * report.verification.logitScale);
    const auto config = readJson(dir.path / "dense" / "config.json");
    CHECK(!config.contains(kCompressionKey));
    CHECK(config["torch_dtype"] == "float32");
    auto back = MoeModel::open(dir.path / "dense", ComputeOptions{torch::kFloat, torch::kCPU});
    CHECK(!back->spec().extended);
    CHECK(back->checkpoint().info(embeddingName()).dtype == DType::F32);
    CHECK(back->spec().layers[static_cast<size_t>(moe[0])].numExperts == spec.layers[static_cast<size_t>(moe[0])].numExperts - 2);
    // Same parameters as the source minus the removed experts: no saving from the factors.
    Plan removedOnly{"r", "", {}, {}};
    for (int i : moe)
        removedOnly.steps.push_back(RemoveExperts{i, {0, 1}});
    CHECK(report.preview.parameters == accountPlan(spec, removedOnly).result.total());

    SUBCASE("a condensed layer has no dense-compatible form")
    {
        Plan condensed{"cd", "cd-moe", {}, {CondenseLayer{moe[0], {3}, {0.5}}}};
        ExportOptions o = optionsFor(dir.path / "cd");
        o.kind = ExportKind::Dense;
        CHECK_THROWS_WITH_AS(previewExport(*source, condensed, o), doctest::Contains("condensed"), Error);
        o.kind = ExportKind::Standard;
        CHECK_THROWS_WITH_AS(previewExport(*source, condensed, o), doctest::Contains("--format extended"), Error);
    }
}

TEST_CASE("sharded export writes an index that loads")
{
    auto source = openDemo("mixtral");
    Plan plan{"none", "", {}, {}};
    TempDir dir;
    ExportOptions options = optionsFor(dir.path / "out");
    options.shardSizeBytes = 1 << 20;
    const auto report = exportModel(*source, plan, options);
    CHECK(report.preview.shards.size() > 3);
    CHECK(report.verification.maxDiff == 0.0);
    const auto index = readJson(dir.path / "out" / "model.safetensors.index.json");
    CHECK(index["weight_map"].size() == report.preview.manifest.size());
    CHECK(index["metadata"]["total_size"] == report.preview.weightBytes);
    CHECK(!fs::exists(dir.path / "out" / "model.safetensors"));
    for (const auto& shard : report.preview.shards)
        CHECK(fs::exists(dir.path / "out" / shard.file));
    auto back = MoeModel::open(dir.path / "out", ComputeOptions{torch::kFloat, torch::kCPU});
    const auto ids = sampleIds(source->spec());
    CHECK(maxDiff(back->forward(ids).logits, source->forward(ids).logits) == 0.0);
    const auto meta = back->checkpoint().files().front()->metadata();
    CHECK(meta.at("moewb_source_hash") == source->checkpoint().identityHash());
    CHECK(meta.at("moewb_format") == "standard");
}

TEST_CASE("extended configs that do not fit are errors naming the field")
{
    auto config = readJson(demo("mixtral") / "config.json");
    auto layers = nlohmann::json::array();
    for (int i = 0; i < 6; ++i)
        layers.push_back({{"source_layer", i}, {"experts", range(0, 8)}});
    config[kCompressionKey] = {{"format", "moewb-extended"}, {"version", 1}, {"base_architecture", "MixtralForCausalLM"},
        {"base_model_type", "mixtral"}, {"layers", layers}};
    config["architectures"] = {"MoewbMixtralForCausalLM"};
    config["model_type"] = "moewb_mixtral";
    CHECK(parseModelSpec(config).extended);
    auto bad = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
        auto c = config;
        edit(c);
        CHECK_THROWS_WITH_AS(parseModelSpec(c), doctest::Contains(message.c_str()), Error);
    };
    bad([](auto& c) { c[kCompressionKey]["version"] = 2; }, "newer than this MoE Workbench reads");
    bad([](auto& c) { c[kCompressionKey]["layers"].erase(0); }, "has 5 entries, but num_hidden_layers=6");
    bad([](auto& c) { c[kCompressionKey]["layers"][2]["experts"] = {1}; }, "fewer than num_experts_per_tok=2");
    bad([](auto& c) { c[kCompressionKey]["layers"][2]["experts"] = {1, 1}; }, "distinct");
    bad([](auto& c) { c[kCompressionKey]["layers"][3]["ranks"] = {1, 2}; }, "layers[3].ranks' has 2 entries for 8");
    bad([](auto& c) { c[kCompressionKey]["layers"][3]["ranks"] = std::vector<int>(8, 999); }, "outside [0, 128]");
    bad([](auto& c) { c[kCompressionKey]["layers"][1]["condensed_weights"] = {0.5}; }, "1 weights for 8 experts");
    bad([](auto& c) { c[kCompressionKey]["layers"][1] = {{"mlp_dropped", true}, {"experts", {1, 2}}}; },
        "dropped but lists experts");
    bad([](auto& c) { c[kCompressionKey].erase("base_model_type"); }, "must name the source architecture");
}

TEST_CASE("export refuses unsafe targets and leaves nothing behind on failure")
{
    auto source = openDemo("qwen");
    Plan plan{"p", "", {}, {RemoveExperts{0, {1, 2}}}};
    applyByHand(*source, plan);
    TempDir dir;

    SUBCASE("never inside the source folder, nor a folder containing it")
    {
        CHECK_THROWS_WITH_AS(previewExport(*source, plan, optionsFor(demo("qwen") / "sub")),
            doctest::Contains("inside the source model's folder"), Error);
        CHECK_THROWS_WITH_AS(previewExport(*source, plan, optionsFor(demo("qwen"))),
            doctest::Contains("inside the source model's folder"), Error);
        ExportOptions o = optionsFor(demo("qwen").parent_path());
        o.force = true;
        CHECK_THROWS_WITH_AS(previewExport(*source, plan, o), doctest::Contains("contains the source model"), Error);
        CHECK(!fs::exists(demo("qwen") / "sub"));
    }
    SUBCASE("a non-empty target needs --force, and force replaces it whole")
    {
        fs::create_directories(dir.path / "out");
        std::ofstream(dir.path / "out" / "keep.txt") << "user data";
        CHECK_THROWS_WITH_AS(exportModel(*source, plan, optionsFor(dir.path / "out")),
            doctest::Contains("pass --force"), Error);
        CHECK(fs::exists(dir.path / "out" / "keep.txt"));
        ExportOptions o = optionsFor(dir.path / "out");
        o.force = true;
        o.protectedPaths = {dir.path / "out" / "keep.txt"};
        CHECK_THROWS_WITH_AS(exportModel(*source, plan, o), doctest::Contains("which replacing the folder would delete"),
            Error);
        o.protectedPaths = {dir.path / "session.h5"};
        exportModel(*source, plan, o);
        CHECK(!fs::exists(dir.path / "out" / "keep.txt"));
        CHECK(fs::exists(dir.path / "out" / "config.json"));
        CHECK(dir.entries() == std::vector<std::string>{"out"});
    }
    SUBCASE("an empty target folder is used as it is")
    {
        fs::create_directories(dir.path / "out");
        exportModel(*source, plan, optionsFor(dir.path / "out"));
        CHECK(fs::exists(dir.path / "out" / "model.safetensors"));
    }
    SUBCASE("not enough free space: refused before writing")
    {
        ExportOptions o = optionsFor(dir.path / "out");
        o.freeBytesOverride = 1 << 20;
        CHECK_THROWS_WITH_AS(exportModel(*source, plan, o), doctest::Contains("MiB free; nothing was written"), Error);
        CHECK(dir.entries().empty());
    }
    SUBCASE("cancel while writing")
    {
        ExportOptions o = optionsFor(dir.path / "out");
        int calls = 0;
        o.progress = [&](double) { return ++calls < 20; };
        CHECK_THROWS_AS(exportModel(*source, plan, o), Cancelled);
        CHECK(calls == 20);
        CHECK(dir.entries().empty());
    }
    SUBCASE("cancel while verifying")
    {
        ExportOptions o = optionsFor(dir.path / "out");
        o.progress = [&](double f) { return f < 0.8; };
        CHECK_THROWS_AS(exportModel(*source, plan, o), Cancelled);
        CHECK(dir.entries().empty());
    }
    SUBCASE("a write failing as on a full disk (RLIMIT_FSIZE in a child process)")
    {
        const std::string message = test::writeWithFileSizeLimit(
            256 * 1024, [&] { exportModel(*source, plan, optionsFor(dir.path / "out")); });
        CHECK(message.find("write failed") != std::string::npos);
        CHECK(dir.entries().empty());
    }
}

namespace {

Plan evidencePlan(const ModelSpec& spec, const std::string& kind)
{
    const auto moe = spec.moeLayerIndices();
    Plan plan{kind, "evidence", {}, {}};
    if (kind == "extended") {
        plan.steps.push_back(RemoveExperts{moe[0], {1}});
        plan.steps.push_back(RemoveExperts{moe[1], {0, 2, 5}});
        plan.steps.push_back(FactorExperts{moe[1], {ExpertRank{1, 8, SvdMode::Plain}, ExpertRank{3, 16, SvdMode::Plain}}, {}});
        plan.steps.push_back(DropMoeSublayer{moe[2]});
        plan.steps.push_back(CondenseLayer{moe[3], {2, 4}, {0.25, 0.5}});
        plan.steps.push_back(DropBlock{moe[4]});
        return plan;
    }
    for (int i : moe)
        if (i != moe[2])
            plan.steps.push_back(RemoveExperts{i, {i % 3, 3 + i % 2}});
    plan.steps.push_back(DropBlock{moe[2]});
    if (kind == "dense") {
        plan.steps.push_back(FactorExperts{moe[0], {ExpertRank{5, 12, SvdMode::Plain}}, {}});
        plan.steps.push_back(DropMoeSublayer{moe[1]});
    }
    return plan;
}

// The same for 3-layer models: every kind of change in at most three MoE layers.
Plan smallEvidencePlan(const ModelSpec& spec, const std::string& kind)
{
    const auto moe = spec.moeLayerIndices();
    Plan plan{kind, "evidence", {}, {}};
    if (kind == "extended") {
        plan.steps.push_back(RemoveExperts{moe[0], {1}});
        plan.steps.push_back(FactorExperts{moe[0], {ExpertRank{3, 4, SvdMode::Plain}}, {}});
        plan.steps.push_back(CondenseLayer{moe[1], {2, 4}, {0.25, 0.5}});
        if (moe.size() > 2)
            plan.steps.push_back(DropMoeSublayer{moe[2]});
        return plan;
    }
    for (int i : moe)
        plan.steps.push_back(RemoveExperts{i, {0, 1}});
    if (kind == "dense")
        plan.steps.push_back(FactorExperts{moe[0], {ExpertRank{3, 4, SvdMode::Plain}}, {}});
    return plan;
}

} // namespace

// A generator, not a test: writes the folders tests/reference/check_export_transformers.py loads.
TEST_CASE("export evidence for tests/reference/check_export_transformers.py" * doctest::skip())
{
    const char* env = std::getenv("MOEWB_EXPORT_EVIDENCE_DIR");
    const fs::path out = env ? env : "/tmp/moewb-export-evidence";
    fs::remove_all(out);
    fs::create_directories(out);
    // The demo models, and the tiny golden sets of the architectures without a demo model.
    for (const std::string arch : {"mixtral", "qwen", "deepseek", "golden/qwen3_moe", "golden/olmoe",
             "golden/deepseek_v2_lite"})
        for (const std::string kind : {"standard", "extended", "dense"}) {
            const bool golden = arch.rfind("golden/", 0) == 0;
            auto source = golden ? MoeModel::open(test::referenceDir() / arch, ComputeOptions{torch::kFloat, torch::kCPU})
                                 : openDemo(arch);
            source->makeResident();
            const Plan plan = golden ? smallEvidencePlan(source->spec(), kind) : evidencePlan(source->spec(), kind);
            applyByHand(*source, plan);
            const std::string name = (golden ? arch.substr(7) : arch) + "_" + kind;
            ExportOptions options = optionsFor(out / name);
            options.kind = parseExportKind(kind);
            const auto report = exportModel(*source, plan, options);
            REQUIRE(report.verification.passed);
            auto back = MoeModel::open(out / name, ComputeOptions{torch::kFloat, torch::kCPU});
            const auto ids = sampleIds(source->spec());
            const auto logits = back->forward(ids).logits.contiguous();
            auto bytes = [](const torch::Tensor& t) {
                return std::span(static_cast<const std::byte*>(t.data_ptr()), static_cast<size_t>(t.nbytes()));
            };
            writeSafetensors(out / ("ours_" + name + ".safetensors"),
                {{"input_ids", DType::I64, {ids.size(0), ids.size(1)}, bytes(ids)},
                    {"logits", DType::F32, {logits.size(0), logits.size(1), logits.size(2)}, bytes(logits)}});
            MESSAGE(name << ": " << exportKindName(report.preview.kind) << ", " << report.bytesWritten << " bytes, "
                         << report.preview.parameters << " of " << report.preview.sourceParameters
                         << " parameters, reload diff " << report.verification.maxDiff << " (vs in-memory "
                         << report.verification.maxDiffInMemory << "), write " << report.writeSeconds << " s, verify "
                         << report.verification.seconds << " s");
        }
}
