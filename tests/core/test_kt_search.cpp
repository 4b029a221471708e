// KT-reception field and the model-level search: the block search picks what a brute-force reference
// (every combination through MoeModel::forward with overrides) picks, with the same losses and fewer
// layer passes; short final blocks, dense spans, missing candidates; determinism across thread counts.
#include "core/io/error.h"
#include "core/plan/plan.h"
#include "core/search/baselines.h"
#include "core/search/kt_search.h"
#include "core/search/model_search.h"
#include "core/search/search_inputs.h"
#include "core/session/session.h"
#include "support/golden.h"
#include "support/temp_dir.h"

#include <ATen/Parallel.h>
#include <doctest/doctest.h>
#include <torch/types.h>

#include <cmath>
#include <limits>

using namespace moewb;

namespace {

struct Fixture {
    moewb::test::GoldenSet golden{"qwen3_moe"};  // 3 MoE layers, 16 experts, top-4
    std::unique_ptr<MoeModel> model = MoeModel::open(golden.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    torch::Tensor ids = golden.tensor("input_ids_a");
};

// Block results equal: the same layers and winners; the losses bit for bit where the BLAS gives the
// same sums whatever its thread count (Debian's OpenBLAS), else (MKL in LibTorch wheels splits its
// reductions by thread count) within 1e-12 relative.
void checkSameBlocks(const BlockSearch& a, const BlockSearch& b)
{
    const bool exact = at::show_config().find("BLAS_INFO=mkl") == std::string::npos;
    MESSAGE(std::string(exact ? "block losses compared bit for bit" : "block losses compared within 1e-12 (MKL)"));
    CHECK(a.candidatesPerLayer == b.candidatesPerLayer);
    CHECK(a.blockSize == b.blockSize);
    REQUIRE(a.blocks.size() == b.blocks.size());
    for (size_t i = 0; i < a.blocks.size(); ++i) {
        CHECK(a.blocks[i].layers == b.blocks[i].layers);
        CHECK(a.blocks[i].chosen == b.blocks[i].chosen);
        REQUIRE(a.blocks[i].losses.size() == b.blocks[i].losses.size());
        for (size_t c = 0; c < a.blocks[i].losses.size(); ++c) {
            if (exact || std::isinf(a.blocks[i].losses[c]))
                CHECK(a.blocks[i].losses[c] == b.blocks[i].losses[c]);
            else
                CHECK(a.blocks[i].losses[c] == doctest::Approx(b.blocks[i].losses[c]).epsilon(1e-12));
        }
    }
}

// Brute force: each combination separately through the full forward with overrides.
struct BruteForce {
    std::vector<double> losses;
    int64_t best = -1;
    int64_t layerPasses = 0;
};

BruteForce bruteForce(const MoeModel& model, const torch::Tensor& ids, const std::vector<LayerCandidates>& block, int K)
{
    const int last = block.back().layer;
    int64_t passes = 0;
    auto run = [&](const std::map<int, LayerOverride>& overrides) {
        ForwardOptions o;
        o.overrides = overrides;
        o.lastLayer = last + 1;
        o.onLayer = [&](const LayerTrace& t) { passes += t.layer >= block.front().layer ? 1 : 0; };
        return model.forward(ids, {}, o).hidden;
    };
    const auto reference = run({});
    BruteForce r;
    int64_t combos = 1;
    for (size_t i = 0; i < block.size(); ++i)
        combos *= K;
    for (int64_t c = 0; c < combos; ++c) {
        std::map<int, LayerOverride> overrides;
        int64_t rest = c;
        bool valid = true;
        for (size_t i = block.size(); i-- > 0;) {
            const auto pick = static_cast<size_t>(rest % K);
            rest /= K;
            if (pick >= block[i].sets.size())
                valid = false;
            else
                overrides[block[i].layer] = LayerOverride{block[i].sets[pick], false, false};
        }
        if (!valid) {
            r.losses.push_back(std::numeric_limits<double>::infinity());
            continue;
        }
        auto diff = (run(overrides) - reference).reshape({ids.size(0), -1});
        r.losses.push_back(diff.square().sum(1).sqrt().sum().item<double>());
        if (r.best < 0 || r.losses.back() < r.losses[static_cast<size_t>(r.best)])
            r.best = c;
    }
    r.layerPasses = passes;
    return r;
}

void checkAgainstBruteForce(const Fixture& f, const std::vector<LayerCandidates>& block, int K)
{
    const auto inputs = captureLayerInputs(*f.model, f.ids, {block.front().layer});
    KtOptions o;
    o.candidates = K;
    o.blockSize = static_cast<int>(block.size());
    KtCounters counters;
    const auto kt = searchBlock(*f.model, block, inputs.at(block.front().layer), o, &counters);
    const auto brute = bruteForce(*f.model, f.ids, block, K);
    REQUIRE(kt.losses.size() == brute.losses.size());
    for (size_t c = 0; c < kt.losses.size(); ++c) {
        if (std::isinf(brute.losses[c]))
            CHECK(std::isinf(kt.losses[c]));
        else
            CHECK(kt.losses[c] == doctest::Approx(brute.losses[c]).epsilon(1e-10));
    }
    int64_t chosen = 0;
    for (int c : kt.chosen)
        chosen = chosen * K + c;
    CHECK(chosen == brute.best);
    CHECK(brute.best > 0);  // these blocks' winners are not simply every layer's first candidate
    MESSAGE("KT ", counters.layerPasses, " layer passes, brute force ", brute.layerPasses, "; winner ", brute.best, " of ",
            brute.losses.size());
    CHECK(counters.layerPasses < brute.layerPasses);
}

} // namespace

TEST_CASE("blocks of T consecutive layers, the last one shorter")
{
    const auto blocks = partitionBlocks({1, 2, 3, 5, 6, 7, 9}, 3);
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0] == std::vector<int>{1, 2, 3});
    CHECK(blocks[2] == std::vector<int>{9});
    CHECK(partitionBlocks({}, 3).empty());
    CHECK_THROWS_AS(partitionBlocks({1}, 0), moewb::Error);
}

TEST_CASE("KT on a 2-layer block picks the brute-force winner with the same losses and fewer passes")
{
    Fixture f;
    // Layers 1 and 2 (the input comes from the captured hidden states, not the embedding).
    std::vector<LayerCandidates> block{{1, {{0, 1}, {5, 9}, {2, 14}}}, {2, {{3, 4}, {0, 15}, {7, 11}}}};
    checkAgainstBruteForce(f, block, 3);
}

TEST_CASE("KT over three layers from the embedding, a layer with fewer candidates than K")
{
    Fixture f;
    std::vector<LayerCandidates> block{{0, {{1, 2, 3}, {4, 8, 12}}}, {1, {{6, 7, 10}}}, {2, {{0, 5, 9}, {11, 12, 13}}}};
    checkAgainstBruteForce(f, block, 2);
}

TEST_CASE("a layer between the block's MoE layers runs unpruned, once per prefix")
{
    Fixture f;
    std::vector<LayerCandidates> block{{0, {{1, 2}, {3, 4}, {5, 6}}}, {2, {{7, 8}, {9, 10}, {0, 15}}}};
    checkAgainstBruteForce(f, block, 3);
    const auto inputs = captureLayerInputs(*f.model, f.ids, {0});
    KtOptions o;
    KtCounters counters;
    searchBlock(*f.model, block, inputs.at(0), o, &counters);
    // reference 3 + layer 0 x3 + layer 1 x3 + layer 2 x9
    CHECK(counters.layerPasses == 3 + 3 + 3 + 9);
    CHECK(counters.combinations == 9);
}

TEST_CASE("prefix sharing: K + K^2 + K^3 MoE passes per slice, independent of the slice size")
{
    Fixture f;
    std::vector<LayerCandidates> layers{{0, {{1, 2}, {3, 4}, {5, 6}}}, {1, {{1, 2}, {3, 4}, {5, 6}}}, {2, {{1, 2}, {3, 4}, {5, 6}}}};
    const auto inputs = captureLayerInputs(*f.model, f.ids, {0});
    KtOptions o;
    KtCounters whole;
    const auto a = searchBlock(*f.model, layers, inputs.at(0), o, &whole);
    CHECK(whole.layerPasses == 3 + 3 + 9 + 27);  // instead of 3 x 27 = 81
    o.sequencesPerPass = 1;
    KtCounters sliced;
    const auto b = searchBlock(*f.model, layers, inputs.at(0), o, &sliced);
    CHECK(sliced.layerPasses == f.ids.size(0) * whole.layerPasses);
    CHECK(a.chosen == b.chosen);
    for (size_t c = 0; c < a.losses.size(); ++c)
        CHECK(a.losses[c] == doctest::Approx(b.losses[c]).epsilon(1e-12));
}

TEST_CASE("searchBlocks: a short final block, per-block callback, cancellation")
{
    Fixture f;
    std::vector<LayerCandidates> layers{{0, {{1}, {2}}}, {1, {{3}, {4}}}, {2, {{5}, {6}}}};
    const auto inputs = captureLayerInputs(*f.model, f.ids, {0, 2});
    KtOptions o;
    o.blockSize = 2;
    o.candidates = 2;
    int reported = 0;
    o.onBlock = [&](const BlockResult&) { ++reported; };
    const auto search = searchBlocks(*f.model, layers, [&](int l) { return inputs.at(l); }, o);
    REQUIRE(search.blocks.size() == 2);
    CHECK(reported == 2);
    CHECK(search.blocks[0].losses.size() == 4);
    CHECK(search.blocks[1].layers == std::vector<int>{2});
    CHECK(search.blocks[1].losses.size() == 2);
    o.progress = [](double fraction) { return fraction < 0.3; };
    CHECK_THROWS_AS(searchBlocks(*f.model, layers, [&](int l) { return inputs.at(l); }, o), moewb::Cancelled);
    std::vector<LayerCandidates> dense{{0, {{1}}}, {0, {{2}}}};
    CHECK_THROWS_AS(searchBlock(*f.model, dense, inputs.at(0), o), moewb::Error);
}

TEST_CASE("model search: same seed, same records and plan, whatever the thread count")
{
    Fixture f;
    const std::map<int, int> counts{{0, 4}, {1, 3}, {2, 5}};
    const auto inputs = captureSearchInputs(*f.model, f.ids, counts, {0});
    const auto problems = layerProblems(inputs, counts);
    ModelSearchOptions o;
    o.genetic.population = 20;
    o.genetic.generations = 8;
    o.genetic.seed = 11;
    o.kt.blockSize = 2;
    std::map<int, int> generations;
    o.onGeneration = [&](int layer, const GenerationStats&) {
        ++generations[layer];
        return true;
    };
    BlockInputFn blockInput = [&](int layer) {
        return layer == 0 ? inputs.layerInputs.at(0) : captureLayerInputs(*f.model, f.ids, {layer}).at(layer);
    };
    const int threads = at::get_num_threads();
    at::set_num_threads(1);
    const auto a = searchModel(*f.model, problems, blockInput, o);
    at::set_num_threads(std::max(2, threads));
    const auto b = searchModel(*f.model, problems, blockInput, o);
    at::set_num_threads(threads);
    CHECK((a.layers == b.layers));
    checkSameBlocks(a.blocks, b.blocks);
    CHECK((a.plan == b.plan));
    CHECK(generations[0] == 2 * 8);
    CHECK(validatePlan(f.model->spec(), a.plan).empty());
    REQUIRE(a.layers.size() == 3);
    CHECK(a.layers[1].exhaustive == false);
    CHECK(a.layers[1].candidates.size() == 3);
    CHECK(a.blocks.blocks.size() == 2);
    CHECK(a.ktCounters.combinations == 9 + 3);
    // The plan removes each layer's block winner.
    for (const auto& step : a.plan.steps) {
        const auto& remove = std::get<RemoveExperts>(step);
        const auto& layer = a.layers[static_cast<size_t>(remove.layer)];
        CHECK(static_cast<int>(remove.experts.size()) == layer.pruneCount);
    }
    o.genetic.seed = 12;
    const auto c = searchModel(*f.model, problems, blockInput, o);
    CHECK(c.layers[0].bestSets != a.layers[0].bestSets);
}

TEST_CASE("model search: a generation callback returning false cancels")
{
    Fixture f;
    const std::map<int, int> counts{{0, 4}, {1, 0}, {2, 4}};
    const auto inputs = captureSearchInputs(*f.model, f.ids, counts, {});
    const auto problems = layerProblems(inputs, counts);
    REQUIRE(problems.size() == 3);
    CHECK(problems[1].prune == 0);
    ModelSearchOptions o;
    o.genetic.forceGenetic = true;
    o.genetic.population = 10;
    o.genetic.generations = 50;
    int calls = 0;
    o.onGeneration = [&](int, const GenerationStats&) { return ++calls < 5; };
    CHECK_THROWS_AS(searchLayers(problems, o), moewb::Cancelled);
    CHECK(calls == 5);
}

TEST_CASE("search records and plan survive a session round trip (empty sets, +inf losses)")
{
    Fixture f;
    const std::map<int, int> counts{{0, 2}, {1, 0}, {2, 3}};
    const auto inputs = captureSearchInputs(*f.model, f.ids, counts, {0});
    ModelSearchOptions o;
    o.genetic.population = 10;
    o.genetic.generations = 4;
    o.genetic.forceGenetic = true;
    o.kt.blockSize = 3;
    const auto result = searchModel(*f.model, layerProblems(inputs, counts), [&](int l) { return inputs.layerInputs.at(l); }, o);
    REQUIRE(result.blocks.blocks.size() == 1);
    CHECK(std::isfinite(result.blocks.blocks[0].losses[1]));
    CHECK(std::isinf(result.blocks.blocks[0].losses[3]));  // layer 1 (the middle digit) has only the empty set
    moewb::test::TempDir dir;
    Session session;
    session.setSource(SourceModel{f.golden.dir(), "{}", f.model->checkpoint().identityHash()});
    for (const auto& l : result.layers)
        session.setSearch(l);
    session.setBlockSearch(result.blocks);
    session.setPlan(result.plan);
    session.save(dir.path / "s.h5");
    const auto back = Session::open(dir.path / "s.h5");
    REQUIRE(back.searches().size() == 3);
    for (const auto& l : result.layers)
        CHECK((back.searches().at(l.layer) == session.searches().at(l.layer)));
    CHECK((*back.blockSearch() == *session.blockSearch()));
    CHECK((back.plans().at("moe-i2").plan == result.plan));
}

TEST_CASE("baseline plans: least-selected experts, and seeded random sets with the same counts")
{
    RouterStats stats;
    stats.layers = {1, 3};
    // Layer 1: expert 2 least selected, experts 0 and 3 tie (softmax mass breaks it: 3 < 0).
    stats.selectionFrequency = Array<double>{{2, 4}, {0.2, 0.5, 0.1, 0.2, 0.4, 0.3, 0.2, 0.1}};
    stats.softmaxMass = Array<double>{{2, 4}, {0.3, 0.3, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1}};
    stats.meanGateWeight = stats.softmaxMass;
    const Plan f = frequencyPruningPlan(stats, {{1, 3}, {3, 0}}, "frequency");
    REQUIRE(f.steps.size() == 1); // nothing removed from layer 3
    CHECK(std::get<RemoveExperts>(f.steps[0]) == RemoveExperts{1, {0, 2, 3}});
    CHECK(frequencyPruningPlan(stats, {{3, 2}}, "f").steps[0] == PlanStep{RemoveExperts{3, {2, 3}}});
    CHECK_THROWS_AS(frequencyPruningPlan(stats, {{2, 1}}, "f"), Error);

    const std::map<int, int> experts{{1, 16}, {3, 16}}, counts{{1, 4}, {3, 8}};
    const Plan a = randomPruningPlan(experts, counts, 7, "r"), b = randomPruningPlan(experts, counts, 7, "r");
    CHECK(a == b);
    CHECK_FALSE(a == randomPruningPlan(experts, counts, 8, "r"));
    for (const auto& step : a.steps) {
        const auto& r = std::get<RemoveExperts>(step);
        CHECK(static_cast<int>(r.experts.size()) == counts.at(r.layer));
        CHECK(std::is_sorted(r.experts.begin(), r.experts.end()));
        CHECK(std::adjacent_find(r.experts.begin(), r.experts.end()) == r.experts.end());
        CHECK(r.experts.back() < 16);
    }
    // Each layer's draw depends only on (seed, layer).
    const Plan alone = randomPruningPlan(experts, {{3, 8}}, 7, "r");
    CHECK(alone.steps[0] == a.steps[1]);
}
