// Expert trimming of the holistic study (methods.md §2): Expert Drop scores and plans, Layer Drop and
// Block Drop similarities and plans, checked against hand-computed cases, against the model's own
// forward pass, and through the session cache.
#include "core/analysis/calibration.h"
#include "core/compress/expert_drop.h"
#include "core/compress/layer_drop.h"
#include "core/io/error.h"
#include "core/model/routing.h"
#include "core/session/session.h"
#include "support/golden.h"

#include <doctest/doctest.h>
#include <torch/utils.h>

#include <cmath>
#include <cstring>

using namespace moewb;
using moewb::test::GoldenSet;

namespace {

// Layer 0 dense, layers 1..3 MoE with `experts` experts, top-2.
ModelSpec smallSpec(int experts = 4)
{
    ModelSpec s;
    s.hiddenSize = 8;
    s.numLayers = 4;
    for (int i = 0; i < 4; ++i) {
        LayerSpec l;
        if (i == 0) {
            l.kind = LayerKind::Dense;
            l.intermediateSize = 16;
        } else {
            l.numExperts = experts;
            l.topK = 2;
            l.expertWidth = 4;
        }
        s.layers.push_back(l);
    }
    return s;
}

ExpertScores handScores()
{
    ExpertScores s;
    s.layers = {1, 2, 3};
    s.experts = {{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}};
    s.scores = {{0.40, 0.30, 0.20, 0.10}, {0.05, 0.45, 0.04, 0.46}, {0.25, 0.25, 0.26, 0.24}};
    return s;
}

std::vector<RemoveExperts> removals(const Plan& plan)
{
    std::vector<RemoveExperts> out;
    for (const auto& step : plan.steps)
        out.push_back(std::get<RemoveExperts>(step));
    return out;
}

// One token per state: 2-D unit vectors at the given angles (degrees).
std::vector<torch::Tensor> angleStates(const std::vector<double>& degrees)
{
    std::vector<torch::Tensor> out;
    for (double a : degrees) {
        const double r = a * M_PI / 180.0;
        out.push_back(torch::tensor({std::cos(r), std::sin(r)}, torch::kDouble).view({1, 1, 2}));
    }
    return out;
}

double cosd(double degrees)
{
    return std::cos(degrees * M_PI / 180.0);
}

LayerSimilarity spansOf(const std::vector<torch::Tensor>& states, int maxSpan)
{
    const int L = static_cast<int>(states.size()) - 1;
    SpanAccumulator acc(L, maxSpan);
    for (const auto& s : states)
        acc.push(s);
    LayerSimilarity out;
    out.numLayers = L;
    out.maxSpan = maxSpan;
    out.moe.assign(static_cast<size_t>(L), std::nan(""));
    out.span = acc.span();
    return out;
}

} // namespace

TEST_CASE("Expert Drop scores: full softmax mass, and scattered top-k weights for DeepSeek-style routers")
{
    // Token 1: probabilities (1, 2, 3) / 6, top-1 picks expert 2 with weight 1/2.
    // Token 2: probabilities (4, 1, 1) / 6, top-1 picks expert 0 with weight 2/3.
    auto logits = torch::log(torch::tensor({1.0, 2.0, 3.0, 4.0, 1.0, 1.0}, torch::kDouble)).view({2, 3});
    const Routing routing = route(RouterSpec{}, logits, 1, torch::kDouble);
    const RoutingStats stats = routingStats(routing, 3);
    const auto softmax = expertScores(stats, ExpertScoreKind::SoftmaxMass);
    const auto gate = expertScores(stats, ExpertScoreKind::GateWeight);
    const std::vector<double> wantSoftmax = {5.0 / 12, 1.0 / 4, 1.0 / 3}, wantGate = {1.0 / 3, 0.0, 1.0 / 4};
    for (size_t e = 0; e < 3; ++e) {
        CHECK(softmax[e] == doctest::Approx(wantSoftmax[e]).epsilon(1e-12));
        CHECK(gate[e] == doctest::Approx(wantGate[e]).epsilon(1e-12));
    }
    ModelSpec spec = smallSpec();
    CHECK(resolveScoreKind(spec, ExpertScoreKind::Auto) == ExpertScoreKind::SoftmaxMass);
    spec.arch = Architecture::DeepseekV2;
    CHECK(resolveScoreKind(spec, ExpertScoreKind::Auto) == ExpertScoreKind::GateWeight);
    CHECK(resolveScoreKind(spec, ExpertScoreKind::SoftmaxMass) == ExpertScoreKind::SoftmaxMass);
}

TEST_CASE("Expert Drop layerwise: the same count per layer, lowest scores first")
{
    const auto spec = smallSpec();
    const Plan plan = expertDropPlan(spec, handScores(), {ExpertDropMode::Layerwise, 0.5});
    const auto r = removals(plan);
    REQUIRE(r.size() == 3);
    CHECK(r[0] == RemoveExperts{1, {2, 3}});
    CHECK(r[1] == RemoveExperts{2, {0, 2}});
    CHECK(r[2] == RemoveExperts{3, {0, 3}}); // 0.24 (3), then the tie 0.25/0.25 goes to the lower id (0)
    CHECK(plan.method == "expert-drop");
    CHECK(plan.parameters["kept_per_layer"]["2"] == 2);
    CHECK_NOTHROW(resolvePlan(spec, plan));
    // preserve_n = 3 keeps three per layer; 1 is below top-2.
    const auto keep3 = removals(expertDropPlan(spec, handScores(), {ExpertDropMode::Layerwise, 0, 3}));
    CHECK(keep3[0] == RemoveExperts{1, {3}});
    CHECK(keep3[1] == RemoveExperts{2, {2}});
    CHECK(keep3[2] == RemoveExperts{3, {3}});
    CHECK_THROWS_WITH_AS(expertDropPlan(spec, handScores(), {ExpertDropMode::Layerwise, 0, 1}),
                         doctest::Contains("below top-k = 2"), Error);
    CHECK_THROWS_AS(expertDropPlan(spec, handScores(), {ExpertDropMode::Layerwise, 0.75}), Error);
    // Keeping as many as a layer has, or more, made a plan that drops nothing: refused, naming both counts.
    CHECK_THROWS_WITH_AS(expertDropPlan(spec, handScores(), {ExpertDropMode::Layerwise, 0, 999}),
                         doctest::Contains("cannot keep 999 experts per layer: layer 1 has 4 routed experts"), Error);
    CHECK_THROWS_WITH_AS(expertDropPlan(spec, handScores(), {ExpertDropMode::Layerwise, 0, 4}),
                         doctest::Contains("keeping 4 experts per layer drops none: the MoE layers have 4"), Error);
    CHECK_THROWS_WITH_AS(expertDropPlan(spec, handScores(), {ExpertDropMode::Global, 0, 4}),
                         doctest::Contains("keeping 4 experts per layer (12 in all) drops none"), Error);
}

TEST_CASE("Expert Drop global: lowest scores over all layers, never below top-k in a layer")
{
    const auto spec = smallSpec();
    // 12 experts, ratio 0.25 drops 3: 0.04 (layer 2, e2), 0.05 (layer 2, e0), 0.10 (layer 1, e3).
    auto r = removals(expertDropPlan(spec, handScores(), {ExpertDropMode::Global, 0.25}));
    REQUIRE(r.size() == 2);
    CHECK(r[0] == RemoveExperts{1, {3}});
    CHECK(r[1] == RemoveExperts{2, {0, 2}});
    r = removals(expertDropPlan(spec, handScores(), {ExpertDropMode::Global, 0, 0}));
    CHECK(r.empty());
    // Dropping 5: after 0.04, 0.05, 0.10 come 0.20 (layer 1, e2) and 0.24 (layer 3, e3).
    const Plan five = expertDropPlan(spec, handScores(), {ExpertDropMode::Global, 5.0 / 12});
    r = removals(five);
    REQUIRE(r.size() == 3);
    CHECK(r[0] == RemoveExperts{1, {2, 3}});
    CHECK(r[1] == RemoveExperts{2, {0, 2}});
    CHECK(r[2] == RemoveExperts{3, {3}});
    // preserve_n = 2 per layer on average = 6 kept of 12: every layer ends at exactly top-k.
    r = removals(expertDropPlan(spec, handScores(), {ExpertDropMode::Global, 0, 2}));
    REQUIRE(r.size() == 3);
    for (const auto& step : r)
        CHECK(step.experts.size() == 2);
    CHECK_THROWS_WITH_AS(expertDropPlan(spec, handScores(), {ExpertDropMode::Global, 0.6}),
                         doctest::Contains("below top-k"), Error);
}

TEST_CASE("Expert Drop never leaves a layer below top-k, whatever the scores")
{
    const auto spec = smallSpec(8);
    ExpertScores s;
    s.layers = {1, 2, 3};
    torch::manual_seed(3);
    for (int l = 0; l < 3; ++l) {
        s.experts.push_back({0, 1, 2, 3, 4, 5, 6, 7});
        // Layer 2's scores are all below the others': global drops stop at its top-k and move on.
        auto v = torch::rand({8}, torch::kDouble) * (l == 1 ? 0.01 : 1.0) + (l == 1 ? 0.0 : 0.01);
        s.scores.emplace_back(v.data_ptr<double>(), v.data_ptr<double>() + 8);
    }
    for (double ratio : {0.1, 0.3, 0.5, 0.7, 0.75}) {
        CAPTURE(ratio);
        const Plan plan = expertDropPlan(spec, s, {ExpertDropMode::Global, ratio});
        const auto resolved = resolvePlan(spec, plan);
        size_t kept = 0;
        for (int l = 1; l < 4; ++l) {
            CHECK(resolved.layers[static_cast<size_t>(l)].experts.size() >= 2);
            kept += resolved.layers[static_cast<size_t>(l)].experts.size();
        }
        CHECK(kept == 24 - static_cast<size_t>(std::lround(ratio * 24)));
        // Layer 2 holds the 8 lowest scores: it loses min(drops, 6) and stops at top-k.
        CHECK(resolved.layers[2].experts.size() == static_cast<size_t>(8 - std::min(6L, std::lround(ratio * 24))));
    }
}

TEST_CASE("Expert Drop scores from a calibration pass equal the router's own probabilities")
{
    for (const char* name : {"mixtral", "deepseek_v2_lite"}) {
        CAPTURE(name);
        GoldenSet g(name);
        auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
        const auto ids = g.tensor("input_ids_a");
        std::map<int, LayerTrace> traces;
        ForwardOptions fo;
        fo.onLayer = [&](const LayerTrace& t) { traces[t.layer] = t; };
        model->forward(ids, {}, fo);
        const auto scores = computeExpertScores(*model, ids, ExpertScoreKind::Auto, 7);
        CHECK(scores.layers == model->spec().moeLayerIndices());
        const bool deepseek = std::string(name) == "deepseek_v2_lite";
        CHECK(scores.kind == (deepseek ? ExpertScoreKind::GateWeight : ExpertScoreKind::SoftmaxMass));
        for (size_t r = 0; r < scores.layers.size(); ++r) {
            const auto& t = traces.at(scores.layers[r]);
            torch::Tensor want;
            if (deepseek) // top-k weights of the trace scattered into E-vectors, averaged
                want = torch::zeros_like(t.moe->logits)
                           .scatter_(1, t.moe->routing.ids, t.moe->routing.weights.to(torch::kDouble))
                           .mean(0);
            else
                want = torch::softmax(t.moe->logits, -1).mean(0);
            for (size_t e = 0; e < scores.scores[r].size(); ++e)
                CHECK(scores.scores[r][e] == doctest::Approx(want[static_cast<int64_t>(e)].item<double>()).epsilon(1e-10));
        }
        // The same scores back from a session's router statistics.
        Session session;
        session.setSource({g.dir(), "{}", model->checkpoint().identityHash()});
        session.setCalibration({"x", 1, 1, 0, "data"});
        session.setRouterStats(routerStatsOf(scores));
        const auto cached = expertScoresFromSession(session, model->spec(), ExpertScoreKind::Auto);
        REQUIRE(cached);
        for (size_t r = 0; r < scores.layers.size(); ++r)
            for (size_t e = 0; e < scores.scores[r].size(); ++e)
                CHECK(cached->scores[r][e] == doctest::Approx(scores.scores[r][e]).epsilon(1e-12));
        session.setCalibration({"x", 1, 1, 0, "other data"});
        CHECK_FALSE(expertScoresFromSession(session, model->spec(), ExpertScoreKind::Auto));
    }
}

TEST_CASE("cosine similarity: a hand-computed mean over tokens")
{
    auto a = torch::tensor({1.0, 0.0, 0.0, 1.0, 3.0, 4.0}, torch::kDouble).view({3, 2});
    auto b = torch::tensor({1.0, 1.0, 0.0, 2.0, -3.0, -4.0}, torch::kDouble).view({3, 2});
    CHECK(meanCosine(a, b) == doctest::Approx((std::sqrt(0.5) + 1.0 - 1.0) / 3).epsilon(1e-12));
}

TEST_CASE("Block Drop span arithmetic on a hand-computed case")
{
    // x_0..x_4 at 0, 10, 50, 55, 90 degrees: block i turns the stream by 10, 40, 5, 35 degrees.
    const auto states = angleStates({0, 10, 50, 55, 90});
    const auto sim = spansOf(states, 4);
    CHECK(sim.block(0) == doctest::Approx(cosd(10)));
    CHECK(sim.block(3) == doctest::Approx(cosd(35)));
    CHECK(sim.spanAt(1, 3) == doctest::Approx(cosd(80))); // blocks 1, 2, 3: x_1 against x_4
    CHECK(std::isnan(sim.spanAt(2, 3)));                  // would need x_5
    // Discrete, 2 blocks: the two smallest turns, blocks 2 (5 deg) and 0 (10 deg).
    CHECK(blocksToDrop(sim, 2, BlockDropMode::Discrete) == std::vector<int>{0, 2});
    // Consecutive, 2 blocks: runs [0,1] turn 50, [1,2] 45, [2,3] 40 degrees: blocks 2 and 3, compared
    // through x_2 and x_4 (the last layer's output), not x_3.
    CHECK(bestConsecutiveStart(sim, 2) == 2);
    CHECK(blocksToDrop(sim, 2, BlockDropMode::Consecutive) == std::vector<int>{2, 3});
    // Consecutive, 3 blocks: [0,2] turns 55, [1,3] 80 degrees.
    CHECK(blocksToDrop(sim, 3, BlockDropMode::Consecutive) == std::vector<int>{0, 1, 2});
    CHECK_THROWS_AS(blocksToDrop(sim, 4, BlockDropMode::Consecutive), Error); // nothing would remain
    CHECK_THROWS_AS(blocksToDrop(sim, 0, BlockDropMode::Discrete), Error);
    // A shorter ring of states measures the same spans up to its length and no further.
    const auto short2 = spansOf(states, 2);
    for (int i = 0; i < 4; ++i)
        for (int n = 1; n <= 2 && i + n <= 4; ++n)
            CHECK(short2.spanAt(i, n) == doctest::Approx(sim.spanAt(i, n)).epsilon(1e-14));
    CHECK_THROWS_WITH_AS(blocksToDrop(short2, 3, BlockDropMode::Consecutive), doctest::Contains("not measured"), Error);
    const auto spec = smallSpec();
    const Plan plan = blockDropPlan(spec, sim, 2, BlockDropMode::Consecutive);
    REQUIRE(plan.steps.size() == 2);
    CHECK(std::get<DropBlock>(plan.steps[0]).layer == 2);
    CHECK(std::get<DropBlock>(plan.steps[1]).layer == 3);
    CHECK(plan.parameters["mode"] == "consecutive");
    CHECK_NOTHROW(resolvePlan(spec, plan));
}

TEST_CASE("Layer Drop drops the most similar MoE sublayers and never a dense layer")
{
    const auto spec = smallSpec(); // layer 0 dense
    LayerSimilarity sim;
    sim.numLayers = 4;
    sim.maxSpan = 1;
    sim.moe = {0.999, 0.90, 0.97, 0.95}; // a (made-up) dense score would be the highest
    sim.span = {0.5, 0.5, 0.5, 0.5};
    Plan plan = layerDropPlan(spec, sim, 2);
    REQUIRE(plan.steps.size() == 2);
    CHECK(std::get<DropMoeSublayer>(plan.steps[0]).layer == 2);
    CHECK(std::get<DropMoeSublayer>(plan.steps[1]).layer == 3);
    CHECK(plan.parameters["similarity"][0].is_null());
    CHECK_NOTHROW(resolvePlan(spec, plan));
    CHECK(layerDropPlan(spec, sim, 3).steps.size() == 3);
    CHECK_THROWS_AS(layerDropPlan(spec, sim, 4), Error);
}

TEST_CASE("similarity pass: the model's own forward, chunked or not, cached in the session")
{
    GoldenSet g("qwen2_moe"); // dense MLP layers among MoE layers
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const auto ids = g.tensor("input_ids_a");
    std::map<int, LayerTrace> traces;
    ForwardOptions fo;
    fo.onLayer = [&](const LayerTrace& t) { traces[t.layer] = t; };
    model->forward(ids, {}, fo);
    const int L = model->spec().numLayers;
    for (int64_t batchTokens : {int64_t{1} << 20, int64_t{1}}) {
        CAPTURE(batchTokens);
        SimilarityOptions so;
        so.batchTokens = batchTokens;
        const auto sim = computeLayerSimilarity(*model, ids, so);
        REQUIRE(sim.maxSpan == L);
        for (int i = 0; i < L; ++i) {
            const auto& t = traces.at(i);
            const bool moe = model->spec().layers[static_cast<size_t>(i)].kind == LayerKind::Moe;
            CHECK(std::isnan(sim.moe[static_cast<size_t>(i)]) == !moe);
            if (moe) {
                const double want = torch::cosine_similarity(t.residual, t.output, -1).mean().item<double>();
                CHECK(sim.moe[static_cast<size_t>(i)] == doctest::Approx(want).epsilon(1e-10));
            }
            for (int n = 1; i + n <= L; ++n) {
                const double want =
                    torch::cosine_similarity(t.input, traces.at(i + n - 1).output, -1).mean().item<double>();
                CHECK(sim.spanAt(i, n) == doctest::Approx(want).epsilon(1e-10));
            }
        }
    }
    Session session;
    session.setSource({g.dir(), "{}", model->checkpoint().identityHash()});
    session.setCalibration({"x", 1, 1, 0, "data"});
    bool reused = true;
    const auto first = layerSimilarity(*model, ids, &session, 1, {}, &reused);
    CHECK_FALSE(reused);
    const auto second = layerSimilarity(*model, ids, &session, 2, {}, &reused);
    CHECK(reused);
    // Equal bit for bit (NaN where a layer has no score).
    auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
        return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
    };
    CHECK(second.maxSpan == first.maxSpan);
    CHECK(same(second.moe, first.moe));
    CHECK(same(second.span, first.span));
    session.setCalibration({"x", 1, 1, 0, "other data"}); // the cache is stale now
    layerSimilarity(*model, ids, &session, 1, {}, &reused);
    CHECK_FALSE(reused);
}
