// Plans: JSON round trips of every step, validation against a ModelSpec, composition, and the
// parameter/byte accounting of a model with a plan applied.
#include "core/io/error.h"
#include "core/io/param_count.h"
#include "core/plan/plan.h"
#include "core/plan/plan_name.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace moewb;

namespace {

// Qwen1.5-MoE-like: layer 0 dense, layers 1..3 MoE with 8 experts (top-2) and a gated shared expert.
ModelSpec qwenLike()
{
    ModelSpec s;
    s.arch = Architecture::Qwen2Moe;
    s.modelType = "qwen2_moe";
    s.hiddenSize = 64;
    s.numLayers = 4;
    s.vocabSize = 100;
    s.dtype = DType::BF16;
    s.attention.numHeads = 4;
    s.attention.numKvHeads = 2;
    s.attention.headDim = 16;
    s.attention.qkvBias = true;
    s.naming.sharedPrefix = "shared_expert";
    for (int i = 0; i < 4; ++i) {
        LayerSpec l;
        if (i == 0) {
            l.kind = LayerKind::Dense;
            l.intermediateSize = 128;
        } else {
            l.numExperts = 8;
            l.topK = 2;
            l.expertWidth = 32;
            l.shared = {1, 96, true};
        }
        s.layers.push_back(l);
    }
    return s;
}

// Mixtral-like: 2 MoE layers of 4 experts (top-2), no shared experts.
ModelSpec mixtralLike()
{
    ModelSpec s;
    s.hiddenSize = 32;
    s.numLayers = 2;
    s.vocabSize = 50;
    s.tieWordEmbeddings = true;
    s.dtype = DType::F32;
    s.attention.numHeads = 4;
    s.attention.numKvHeads = 4;
    s.attention.headDim = 8;
    s.naming.moePrefix = "block_sparse_moe";
    LayerSpec moe;
    moe.kind = LayerKind::Moe;
    moe.numExperts = 4;
    moe.topK = 2;
    moe.expertWidth = 16;
    s.layers.assign(2, moe);
    return s;
}

Plan everyStep()
{
    Plan p;
    p.name = "all steps";
    p.method = "test";
    p.parameters = {{"rho", 0.25}, {"seed", 7}};
    p.steps = {
        RemoveExperts{1, {6, 2}},
        FactorExperts{1, {{0, 5, SvdMode::Plain}, {3, 9, SvdMode::ActivationAware}}, {}},
        DropMoeSublayer{2},
        CondenseLayer{3, {4, 1}, {0.1, 1.0 / 3.0}},
        SparsifyMatrix{1, 5, Proj::Down, "2:4", "masks/layer01/expert05/down", 1024},
        SparsifyMatrix{1, -1, Proj::Up, "unstructured", "masks/layer01/shared/up", 3000},
        ApplyDelta{
            "model.layers.1.self_attn.q_proj.weight", DeltaKind::LowRank, {"lora/q/B", "lora/q/A"}, 0.5},
        ApplyDelta{"model.layers.0.mlp.up_proj.weight", DeltaKind::Dense, {"delta/up"}, 1.0},
        DropBlock{0},
    };
    return p;
}

bool mentions(const std::vector<std::string>& problems, const std::string& text)
{
    for (const auto& p : problems)
        if (p.find(text) != std::string::npos)
            return true;
    return false;
}

} // namespace

TEST_CASE("every plan step survives JSON and text round trips exactly")
{
    const ModelSpec spec = qwenLike();
    const Plan plan = everyStep();
    REQUIRE(validatePlan(spec, plan).empty());
    CHECK(planFromJson(planToJson(plan)) == plan);
    CHECK(planFromText(planToText(plan)) == plan);
    // One step at a time, so a failing round trip names its step type.
    for (const PlanStep& step : plan.steps) {
        Plan single;
        single.name = stepName(step);
        single.steps = {step};
        CAPTURE(single.name);
        CHECK(planFromText(planToText(single)) == single);
    }
    // Doubles that are not exactly representable in decimal still come back bit for bit.
    Plan awkward;
    awkward.name = "awkward";
    awkward.steps = {CondenseLayer{3, {0, 1, 2}, {1e-300, std::nextafter(0.7, 1.0), 2.0 / 3.0}}};
    CHECK(planFromText(planToText(awkward)) == awkward);
}

TEST_CASE("plan tensors are referenced by name, not stored inline")
{
    const Plan plan = everyStep();
    CHECK(plan.tensorReferences()
        == std::vector<std::string>{
            "masks/layer01/expert05/down", "masks/layer01/shared/up", "lora/q/B", "lora/q/A", "delta/up"});
    const std::string text = planToText(plan);
    CHECK(text.find("\"mask_tensor\": \"masks/layer01/expert05/down\"") != std::string::npos);
}

TEST_CASE("malformed plan JSON is an error naming the source and the step")
{
    auto message = [](const std::string& text) {
        try {
            planFromText(text, "p.json");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string head = R"({"format":"moewb-plan","version":1,"name":"x","steps":)";
    CHECK(message("{").find("p.json: invalid JSON") == 0);
    CHECK(message(R"({"format":"other","version":1,"name":"x","steps":[]})").find("not a MoE Workbench plan")
        != std::string::npos);
    CHECK(message(R"({"format":"moewb-plan","version":9,"name":"x","steps":[]})")
        == "p.json: plan format version 9 is newer than this build supports (1); update MoE Workbench");
    CHECK(message(head + R"([{"op":"explode","layer":1}]})") == "p.json: step 1: unknown step 'explode'");
    CHECK(
        message(head + R"([{"op":"drop_block"}]})") == "p.json: step 1 (drop_block): missing field 'layer'");
    CHECK(message(head + R"([{"op":"remove_experts","layer":1,"experts":"3"}]})")
        == "p.json: step 1 (remove_experts): field 'experts' has the wrong type (string)");
    CHECK(message(
              head + R"([{"op":"factor_experts","layer":1,"experts":[{"expert":1,"rank":2,"mode":"qr"}]}]})")
              .find("unknown SVD mode 'qr'")
        != std::string::npos);
}

TEST_CASE("validation reports every problem with its step")
{
    const ModelSpec spec = qwenLike();
    auto problems = [&](std::vector<PlanStep> steps) {
        Plan p;
        p.name = "bad";
        p.steps = std::move(steps);
        return validatePlan(spec, p);
    };
    CHECK(mentions(problems({RemoveExperts{9, {1}}}), "step 1 (remove_experts): layer index 9 out of range"));
    CHECK(mentions(problems({RemoveExperts{0, {1}}}), "layer 0 is a dense MLP layer"));
    CHECK(mentions(problems({RemoveExperts{1, {8}}}), "expert 8 out of range"));
    CHECK(mentions(problems({RemoveExperts{1, {1, 1}}}), "expert 1 listed twice"));
    CHECK(mentions(problems({RemoveExperts{1, {1}}, RemoveExperts{1, {1}}}),
        "step 2 (remove_experts, layer 1): expert 1 was already removed"));
    // A layer keeps at least top-k experts: 8 - 6 = 2 is fine, 8 - 7 is not.
    CHECK(problems({RemoveExperts{1, {0, 1, 2, 3, 4, 5}}}).empty());
    CHECK(mentions(problems({RemoveExperts{1, {0, 1, 2, 3, 4, 5, 6}}}),
        "only 1 experts would remain, fewer than top-k = 2"));
    CHECK(mentions(
        problems({FactorExperts{1, {{0, 33, SvdMode::Plain}}, {}}}), "rank 33 for expert 0 outside [1, 32]"));
    CHECK(mentions(problems({FactorExperts{1, {{0, 0, SvdMode::Plain}}, {}}}), "outside [1, 32]"));
    CHECK(mentions(
        problems({FactorExperts{1, {{0, 4, SvdMode::Plain}}, {}}, FactorExperts{1, {{0, 4, SvdMode::Plain}}, {}}}),
        "already factored"));
    CHECK(mentions(problems({DropMoeSublayer{0}}), "dense MLP layer"));
    CHECK(mentions(problems({DropMoeSublayer{1}, RemoveExperts{1, {0}}}),
        "the MoE sublayer was dropped by an earlier step"));
    CHECK(mentions(
        problems({DropBlock{2}, FactorExperts{2, {{0, 4, SvdMode::Plain}}, {}}}), "the whole layer was dropped"));
    CHECK(mentions(
        problems({DropBlock{0}, DropBlock{1}, DropBlock{2}, DropBlock{3}}), "no decoder layer would remain"));
    CHECK(mentions(problems({DropBlock{1}, DropBlock{1}}), "already dropped"));
    CHECK(mentions(problems({CondenseLayer{1, {0}, {}}}), "0 weights for 1 kept experts"));
    CHECK(mentions(problems({CondenseLayer{1, {0}, {NAN}}}), "not finite"));
    CHECK(mentions(problems({RemoveExperts{1, {3}}, CondenseLayer{1, {3}, {0.5}}}),
        "kept expert 3 is not in the layer"));
    CHECK(mentions(
        problems({CondenseLayer{1, {}, {}}, RemoveExperts{1, {0}}}), "condensed by an earlier step"));
    CHECK(mentions(
        problems({SparsifyMatrix{1, 2, Proj::Gate, "3:2", "m", 5}}), "neither 'unstructured' nor 'N:M'"));
    CHECK(mentions(problems({SparsifyMatrix{1, 2, Proj::Gate, "2:4", "", 5}}), "no mask tensor named"));
    CHECK(mentions(problems({SparsifyMatrix{1, 2, Proj::Gate, "2:4", "m", 64 * 32 + 1}}),
        "2049 non-zeros for a matrix of 2048 weights"));
    CHECK(mentions(problems({FactorExperts{1, {{2, 4, SvdMode::Plain}}, {}},
                       SparsifyMatrix{1, 2, Proj::Gate, "2:4", "m", 5}}),
        "is factored"));
    CHECK(mentions(problems({SparsifyMatrix{1, 2, Proj::Gate, "2:4", "m", 5},
                       FactorExperts{1, {{2, 4, SvdMode::Plain}}, {}}}),
        "carries a sparsity mask"));
    CHECK(mentions(problems({ApplyDelta{"w", DeltaKind::LowRank, {"only-one"}, 1.0}}),
        "step 1 (apply_delta): a low-rank delta needs 2 tensor name(s)"));

    // Condensing to shared experts only needs shared experts.
    const ModelSpec mixtral = mixtralLike();
    Plan p;
    p.steps = {CondenseLayer{0, {}, {}}};
    CHECK(mentions(validatePlan(mixtral, p), "needs shared experts"));
    p.steps = {CondenseLayer{0, {2}, {0.8}}};
    CHECK(validatePlan(mixtral, p).empty());

    // resolvePlan throws with every problem listed.
    p.name = "two";
    p.steps = {RemoveExperts{7, {}}, DropBlock{-1}};
    try {
        resolvePlan(mixtral, p);
        FAIL("expected an error");
    } catch (const Error& e) {
        const std::string m = e.what();
        CHECK(m.find("plan 'two' does not fit the model (2 problems):") == 0);
        CHECK(m.find("layer index 7 out of range") != std::string::npos);
        CHECK(m.find("layer index -1 out of range") != std::string::npos);
    }
}

TEST_CASE("resolving applies the steps in source numbering")
{
    const ModelSpec spec = qwenLike();
    const ResolvedPlan r = resolvePlan(spec, everyStep());
    CHECK(r.layers[0].blockDropped);
    CHECK(r.keptLayers() == 3);
    CHECK(r.layers[1].experts == std::vector<int>{0, 1, 3, 4, 5, 7});
    CHECK(r.layers[1].ranks.at(3).rank == 9);
    CHECK(r.layers[1].sparsity.size() == 2);
    CHECK(r.layers[2].moeDropped);
    CHECK(r.layers[3].condensed);
    CHECK(r.layers[3].experts == std::vector<int>{1, 4}); // sorted ...
    CHECK(r.layers[3].condensedWeights == std::vector<double>{1.0 / 3.0, 0.1}); // ... weights follow
    CHECK(r.deltas.size() == 2);
}

TEST_CASE("composition: pruning then low-rank, conflicts rejected")
{
    const ModelSpec spec = qwenLike();
    Plan prune{"prune", "moe-i2", {{"rho", 0.25}}, {RemoveExperts{1, {0, 1}}, RemoveExperts{2, {7}}}};
    Plan lowRank{"lowrank", "moe-i2", {{"rd", 0.3}}, {FactorExperts{1, {{2, 8, SvdMode::ActivationAware}}, {}}}};
    const Plan both = composePlans(spec, prune, lowRank);
    CHECK(both.name == "prune + lowrank");
    CHECK(both.method == "moe-i2");
    CHECK(both.steps.size() == 3);
    CHECK(both.parameters["first"]["parameters"]["rho"] == 0.25);
    CHECK(both.parameters["second"]["parameters"]["rd"] == 0.3);
    CHECK(planFromText(planToText(both)) == both);

    Plan factorRemoved{"bad", "moe-i2", {}, {FactorExperts{1, {{0, 8, SvdMode::Plain}}, {}}}};
    CHECK_THROWS_WITH_AS(composePlans(spec, prune, factorRemoved),
        doctest::Contains("expert 0 is not in the layer (removed or out of range)"), Error);
}

TEST_CASE("accounting: parameters and bytes of a model with a plan applied")
{
    const ModelSpec spec = qwenLike();
    const uint64_t d = 64, f = 32;
    const uint64_t expert = 3 * d * f;
    const PlanAccounting none = accountPlan(spec, Plan{});
    // The source count is io's count (same tensor catalogue).
    CHECK(none.source.total() == countParameters(spec).total);
    CHECK(none.result.total() == none.source.total());
    CHECK(none.sourceBytes == 2 * none.source.total()); // bf16
    const uint64_t base = none.source.total();

    SUBCASE("removed experts take their router rows with them")
    {
        const auto a = accountPlan(spec, Plan{"p", "", {}, {RemoveExperts{1, {0, 1}}}});
        CHECK(a.result.total() == base - 2 * (expert + d));
        CHECK(a.result.byComponent[Component::Router] == none.source.byComponent[Component::Router] - 2 * d);
    }
    SUBCASE("a factored expert costs r(m+n) per matrix")
    {
        const auto a = accountPlan(spec, Plan{"p", "", {}, {FactorExperts{1, {{0, 4, SvdMode::Plain}}, {}}}});
        CHECK(a.result.total() == base - expert + 3 * 4 * (d + f));
    }
    SUBCASE("a dropped MoE sublayer removes its norm, router, experts and shared expert")
    {
        const auto a = accountPlan(spec, Plan{"p", "", {}, {DropMoeSublayer{2}}});
        const uint64_t shared = 3 * d * 96 + d; // gated shared expert
        CHECK(a.result.total() == base - (d + 8 * d + 8 * expert + shared));
        CHECK(a.result.byComponent[Component::Attention] == none.source.byComponent[Component::Attention]);
    }
    SUBCASE("a dropped block removes the whole decoder layer")
    {
        const auto a = accountPlan(spec, Plan{"p", "", {}, {DropBlock{0}}});
        const uint64_t attention = none.source.byComponent[Component::Attention] / 4;
        CHECK(a.result.total() == base - (2 * d + attention + 3 * d * 128));
    }
    SUBCASE("a condensed layer keeps only its kept experts, the shared expert and k_c weights")
    {
        const auto a = accountPlan(spec, Plan{"p", "", {}, {CondenseLayer{3, {1, 4}, {0.2, 0.3}}}});
        CHECK(a.result.total() == base - 8 * d - 6 * expert + 2);
        CHECK(a.result.condensedWeights == 2);
    }
    SUBCASE("sparsity counts non-zeros separately; dense storage keeps the bytes")
    {
        const auto a
            = accountPlan(spec, Plan{"p", "", {}, {SparsifyMatrix{1, 5, Proj::Down, "2:4", "m", 1024}}});
        CHECK(a.result.total() == base);
        CHECK(a.resultBytes == a.sourceBytes);
        CHECK(a.resultNonZeros == base - (d * f - 1024));
    }
    SUBCASE("composed plans add up")
    {
        const auto a = accountPlan(spec, everyStep());
        CHECK(a.result.total() < base);
        CHECK(a.resultBytes == 2 * a.result.total());
    }
}

TEST_CASE("plan names: visible text on one line, at most 200 bytes")
{
    using P = moewb::PlanNameProblem;
    CHECK(moewb::planNameProblem("cd-moe") == P::None);
    CHECK(moewb::planNameProblem("expert-drop-layerwise-0.25 + layer-drop-1") == P::None);
    CHECK(moewb::planNameProblem("") == P::Empty);
    CHECK(moewb::planNameProblem("   ") == P::Empty);
    CHECK(moewb::planNameProblem(" cd") == P::OuterSpace);
    CHECK(moewb::planNameProblem("cd ") == P::OuterSpace);
    CHECK(moewb::planNameProblem("a\tb") == P::ControlChar);
    CHECK(moewb::planNameProblem("a\nb") == P::ControlChar);
    CHECK(moewb::planNameProblem("a\xE2\x80\xA8" "b") == P::ControlChar); // U+2028 line separator
    CHECK(moewb::planNameProblem("a\xC2\x85" "b") == P::ControlChar);     // U+0085 next line
    CHECK(moewb::planNameProblem("\xE5\x89\xAA\xE6\x9E\x9D") == P::None); // Chinese text stays allowed
    CHECK(moewb::planNameProblem(std::string(200, 'x')) == P::None);
    CHECK(moewb::planNameProblem(std::string(201, 'x')) == P::TooLong);
    CHECK(std::string(moewb::planNameProblemText(P::OuterSpace)).find("space") != std::string::npos);
}
