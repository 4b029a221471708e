// Applying plans (core/plan/apply.h): the applied model must compute what the plan means. Removing
// experts equals masking them in place (the forward pass's reference for pruning), dropping a
// sublayer or block equals skipping it, full-rank factors reproduce the dense model, masks and
// deltas change exactly the weights they name, streamed and resident models agree, and the applied
// model holds exactly the parameters the plan's accounting reports.
#include "core/io/error.h"
#include "core/io/tensor_layout.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "support/golden.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <map>

using namespace moewb;
using moewb::test::GoldenSet;

namespace {

torch::Tensor tokens(const ModelSpec& spec, int64_t batch = 2, int64_t length = 12)
{
    torch::manual_seed(7);
    return torch::randint(spec.vocabSize, {batch, length}, torch::kLong);
}

std::unique_ptr<MoeModel> openGolden(const std::string& name, bool resident = true)
{
    auto model = MoeModel::open(GoldenSet(name).dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    if (resident)
        model->makeResident();
    return model;
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>();
}

// The parameters a model holds after a plan: embedding, norm, head (when untied) and every layer tensor.
uint64_t heldParameters(MoeModel& model)
{
    uint64_t n = 0;
    for (const auto& [name, t] : model.namedParameters())
        n += static_cast<uint64_t>(t.numel());
    return n;
}

// Removes the first `count` experts (by id) of every MoE layer, and returns the plan plus the same
// removal as forward overrides.
std::pair<Plan, std::map<int, LayerOverride>> removeFirst(const ModelSpec& spec, int count)
{
    Plan plan{"remove", "test", {}, {}};
    std::map<int, LayerOverride> overrides;
    for (int l : spec.moeLayerIndices()) {
        RemoveExperts r{l, {}};
        for (int e = 0; e < count; ++e)
            r.experts.push_back(2 * e + 1);
        overrides[l].removedExperts = r.experts;
        plan.steps.push_back(r);
    }
    return {plan, overrides};
}

} // namespace

TEST_CASE("removing experts equals masking them in the forward pass, for every router rule")
{
    for (const char* name : {"mixtral", "qwen2_moe", "deepseek_v2_lite", "deepseek_v2_group", "qwen3_moe"}) {
        CAPTURE(name);
        auto source = openGolden(name);
        const auto [plan, overrides] = removeFirst(source->spec(), 2);
        const auto ids = tokens(source->spec());
        ForwardOptions masked;
        masked.overrides = overrides;
        const auto expected = source->forward(ids, {}, masked).logits;
        const auto original = source->forward(ids).logits;

        auto applied = openGolden(name);
        const auto info = applyPlan(*applied, plan);
        const auto got = applied->forward(ids).logits;
        CHECK(maxDiff(got, expected) < 1e-10);
        CHECK(maxDiff(got, original) > 1e-6); // the removal changed something
        // Experts are gone, not masked: the router has one row per kept expert.
        const int l = source->spec().moeLayerIndices().front();
        const auto w = applied->layer(l);
        CHECK(w.moe->router.size(0) == source->spec().layers[static_cast<size_t>(l)].numExperts - 2);
        CHECK(w.moe->experts.size() == static_cast<size_t>(w.moe->router.size(0)));
        CHECK(heldParameters(*applied) == info.parameters);
    }
}

TEST_CASE("dropping a MoE sublayer or a block equals skipping it")
{
    auto source = openGolden("qwen2_moe");
    const auto ids = tokens(source->spec());
    const int l = source->spec().moeLayerIndices().back();
    ForwardOptions skipMlp, skipLayer;
    skipMlp.overrides[l].skipMlp = true;
    skipLayer.overrides[0].skipLayer = true;

    auto dropMoe = openGolden("qwen2_moe");
    const auto moeInfo = applyPlan(*dropMoe, Plan{"p", "t", {}, {DropMoeSublayer{l}}});
    CHECK(maxDiff(dropMoe->forward(ids).logits, source->forward(ids, {}, skipMlp).logits) < 1e-10);
    CHECK(heldParameters(*dropMoe) == moeInfo.parameters);

    auto dropBlock = openGolden("qwen2_moe");
    const auto blockInfo = applyPlan(*dropBlock, Plan{"p", "t", {}, {DropBlock{0}}});
    CHECK(maxDiff(dropBlock->forward(ids).logits, source->forward(ids, {}, skipLayer).logits) < 1e-10);
    CHECK(blockInfo.keptLayers == source->spec().numLayers - 1);
    CHECK(heldParameters(*dropBlock) == blockInfo.parameters);
}

TEST_CASE("full-rank plain factors reproduce the dense experts; low rank is two smaller matmuls")
{
    auto source = openGolden("mixtral");
    const auto& spec = source->spec();
    const auto ids = tokens(spec);
    const int l = spec.moeLayerIndices().front();
    const int full = std::min(spec.hiddenSize, spec.layers[static_cast<size_t>(l)].expertWidth);

    auto applied = openGolden("mixtral");
    applyPlan(*applied, Plan{"p", "t", {}, {FactorExperts{l, {{0, full, SvdMode::Plain}, {3, full, SvdMode::Plain}}, {}}}});
    CHECK(maxDiff(applied->forward(ids).logits, source->forward(ids).logits) < 1e-9);
    const auto w = applied->layer(l);
    CHECK(w.moe->experts[0].gate.factored());
    CHECK(w.moe->experts[0].down.rank() == full);
    CHECK_FALSE(w.moe->experts[1].gate.factored());

    // Rank 2: the factors are the truncated SVD (Eckart-Young: the error is the tail of the spectrum).
    auto low = openGolden("mixtral");
    const auto info = applyPlan(*low, Plan{"p", "t", {}, {FactorExperts{l, {{0, 2, SvdMode::Plain}}, {}}}});
    const auto lw = low->layer(l);
    const auto dense = source->layer(l).moe->experts[0].up.weight;
    const auto approx = torch::matmul(lw.moe->experts[0].up.a, lw.moe->experts[0].up.b);
    const auto sv = torch::linalg_svdvals(dense);
    const double tail = sv.narrow(0, 2, sv.size(0) - 2).pow(2).sum().sqrt().item<double>();
    CHECK((dense - approx).norm().item<double>() == doctest::Approx(tail).epsilon(1e-9));
    CHECK(heldParameters(*low) == info.parameters);
    CHECK(heldParameters(*low) < heldParameters(*source));

    // Activation-aware without stored factors cannot be applied.
    auto aware = openGolden("mixtral");
    CHECK_THROWS_WITH_AS(applyPlan(*aware, Plan{"p", "t", {}, {FactorExperts{l, {{0, 2, SvdMode::ActivationAware}}, {}}}}),
                         doctest::Contains("decompose stage"), Error);
}

TEST_CASE("stored factors, masks and deltas come from the session's tensor store")
{
    auto source = openGolden("qwen2_moe");
    const auto& spec = source->spec();
    const int l = spec.moeLayerIndices().front();
    const auto w0 = source->layer(l);
    const auto gate = w0.moe->experts[2].gate.weight;
    moewb::test::TempDir dir;
    Session session;
    // Factors: a known pair for expert 1's three matrices.
    const int64_t d = spec.hiddenSize, f = spec.layers[static_cast<size_t>(l)].expertWidth;
    torch::manual_seed(3);
    std::map<std::string, torch::Tensor> stored;
    for (Proj p : {Proj::Gate, Proj::Up, Proj::Down}) {
        const int64_t out = p == Proj::Down ? d : f, in = p == Proj::Down ? f : d;
        stored[factorTensorName("factors/t/layer", 1, p, true)] = torch::randn({out, 3}, torch::kDouble);
        stored[factorTensorName("factors/t/layer", 1, p, false)] = torch::randn({3, in}, torch::kDouble);
    }
    for (const auto& [name, t] : stored)
        putSessionTensor(session, name, t);
    // Mask: keep every other weight of expert 2's gate; delta: +0.5 on expert 2's up.
    auto mask = (torch::arange(gate.numel()).view(gate.sizes()) % 2 == 0).to(torch::kUInt8);
    putSessionTensor(session, "masks/gate", mask);
    putSessionTensor(session, "deltas/up", torch::full(w0.moe->experts[2].up.weight.sizes(), 0.5, torch::kFloat));
    session.save(dir.path / "s.h5");
    const Session reopened = Session::open(dir.path / "s.h5");

    Plan plan{"p", "t", {}, {}};
    plan.steps.push_back(FactorExperts{l, {{1, 3, SvdMode::ActivationAware}}, "factors/t/layer"});
    plan.steps.push_back(SparsifyMatrix{l, 2, Proj::Gate, "unstructured", "masks/gate", mask.sum().item<int64_t>()});
    plan.steps.push_back(ApplyDelta{expertProjName(spec, l, 2, Proj::Up), DeltaKind::Dense, {"deltas/up"}, 2.0});
    CHECK(reopened.missingTensors(plan).empty());
    auto applied = openGolden("qwen2_moe");
    applyPlan(*applied, plan, sessionTensorSource(reopened));
    const auto w = applied->layer(l);
    CHECK(maxDiff(w.moe->experts[1].down.a, stored[factorTensorName("factors/t/layer", 1, Proj::Down, true)]) == 0);
    CHECK(maxDiff(w.moe->experts[2].gate.weight, gate * mask) == 0);
    CHECK(maxDiff(w.moe->experts[2].up.weight, w0.moe->experts[2].up.weight + 1.0) < 1e-12);
    CHECK(maxDiff(w.moe->experts[3].up.weight, w0.moe->experts[3].up.weight) == 0);

    // A tensor the store lacks is an error naming it.
    Plan missing = plan;
    std::get<SparsifyMatrix>(missing.steps[1]).maskTensor = "masks/none";
    auto again = openGolden("qwen2_moe");
    CHECK_THROWS_WITH_AS(applyPlan(*again, missing, sessionTensorSource(reopened)), doctest::Contains("masks/none"), Error);
    // A streamed model meets the problem when the layer is loaded.
    auto streamed = openGolden("qwen2_moe", false);
    applyPlan(*streamed, missing, sessionTensorSource(reopened));
    CHECK_THROWS_WITH_AS(streamed->layer(l), doctest::Contains("masks/none"), Error);
}

TEST_CASE("a streamed model applies the plan as each layer is loaded, and agrees with the resident one")
{
    auto resident = openGolden("deepseek_v2_lite");
    const auto& spec = resident->spec();
    auto [plan, overrides] = removeFirst(spec, 1);
    plan.steps.push_back(FactorExperts{spec.moeLayerIndices().back(), {{0, 4, SvdMode::Plain}}, {}});
    auto streamed = openGolden("deepseek_v2_lite", false);
    applyPlan(*resident, plan);
    applyPlan(*streamed, plan);
    const auto ids = tokens(spec);
    CHECK(maxDiff(resident->forward(ids).logits, streamed->forward(ids).logits) < 1e-12);
    CHECK_THROWS_WITH_AS(applyPlan(*streamed, plan), doctest::Contains("already applied"), Error);
}

TEST_CASE("a plan's tensor folder is refused when another name makes the same folder and keeps tensors there")
{
    Session session;
    const auto folderOf = [](const std::string& name) { return planTensorPrefix("deltas", name); };
    // Every non-ASCII byte becomes '_': two Chinese names of one length make one folder.
    const std::string first = "剪枝一", second = "剪枝二";
    REQUIRE(folderOf(first) == folderOf(second));
    Plan kept{first, "cd-moe", {}, {}};
    kept.steps.push_back(ApplyDelta{"model.layers.0.mlp.shared_expert.up_proj.weight", DeltaKind::Dense,
                                    {folderOf(first) + "/up"}, 1.0});
    session.setPlan(kept);
    const std::string owner = "where plan '" + first + "' keeps its own";
    CHECK_THROWS_WITH_AS(claimTensorFolder(session, second, folderOf), doctest::Contains(owner.c_str()), Error);
    // The plan itself may replace its own tensors (a re-run), and another folder is free.
    CHECK_NOTHROW(claimTensorFolder(session, first, folderOf));
    CHECK_NOTHROW(claimTensorFolder(session, "other", folderOf));
    // A plan that only refers to those tensors under another name of its own (a plan composed after
    // it) does not own the folder: it is not the name's folder.
    Session composed;
    Plan after{first + " + layer-drop-1", "composed", {}, kept.steps};
    composed.setPlan(after);
    CHECK_NOTHROW(claimTensorFolder(composed, second, folderOf));
}
