// Expert slimming (methods.md §2): Wanda and SparseGPT masks and updates on hand-computed cases and
// against direct dense solves, N:M group counts, and the layer pass on golden models (routed tokens
// only, inputs from the already-slimmed prefix, router and attention untouched).
#include "core/compress/slimming.h"
#include "core/compress/sparsity.h"
#include "core/io/error.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "support/golden.h"

#include <doctest/doctest.h>
#include <torch/utils.h>

#include <map>

using namespace moewb;
using moewb::test::GoldenSet;

namespace {

torch::Tensor rows(std::initializer_list<std::initializer_list<double>> values)
{
    std::vector<torch::Tensor> out;
    for (const auto& r : values)
        out.push_back(torch::tensor(std::vector<double>(r), torch::kDouble));
    return torch::stack(out);
}

std::vector<int64_t> flat(const torch::Tensor& t)
{
    auto c = t.to(torch::kInt64).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// SparseGPT with a fixed mask, the slow way: for each row, each pruned column i in order is set to
// zero and the columns after it re-fit by the exact OBS step on the inverse of H restricted to the
// columns i.. (computed directly with torch::inverse).
torch::Tensor naiveObs(const torch::Tensor& w, const torch::Tensor& H, const torch::Tensor& keep)
{
    auto out = w.clone();
    const int64_t cols = w.size(1);
    for (int64_t r = 0; r < w.size(0); ++r)
        for (int64_t i = 0; i < cols; ++i) {
            if (keep[r][i].item<bool>())
                continue;
            auto Finv = torch::inverse(H.slice(0, i).slice(1, i));
            auto row = out[r].slice(0, i);
            row.sub_(Finv[0] * (row[0] / Finv[0][0]));
        }
    return out;
}

struct Sink {
    std::map<std::string, torch::Tensor> tensors;
    TensorSink fn()
    {
        return [this](const std::string& name, const torch::Tensor& t) {
            CHECK(tensors.count(name) == 0);
            tensors[name] = t.clone();
        };
    }
};

// The weights a plan's masks and deltas give, installed on `model` (test-local applier: mask first,
// then the delta named like the mask).
void installSlimmed(MoeModel& model, const Plan& plan, const Sink& sink)
{
    std::map<int, DecoderLayerWeights> layers;
    for (const auto& step : plan.steps) {
        const auto* s = std::get_if<SparsifyMatrix>(&step);
        if (!s)
            continue;
        if (!layers.count(s->layer))
            layers[s->layer] = model.layer(s->layer);
        auto& moe = *layers[s->layer].moe;
        SwiGlu* mlp = &*moe.shared;
        if (s->expert >= 0) {
            const auto it = std::find(moe.expertIds.begin(), moe.expertIds.end(), s->expert);
            mlp = &moe.experts[static_cast<size_t>(it - moe.expertIds.begin())];
        }
        Linear& lin = s->matrix == Proj::Gate ? mlp->gate : s->matrix == Proj::Up ? mlp->up : mlp->down;
        auto weight = lin.weight * sink.tensors.at(s->maskTensor).to(lin.weight.scalar_type());
        std::string deltaName = s->maskTensor;
        deltaName.replace(0, 5, "deltas");
        if (sink.tensors.count(deltaName))
            weight = weight + sink.tensors.at(deltaName).to(weight.scalar_type());
        lin.weight = weight;
    }
    for (auto& [i, w] : layers)
        model.setLayer(i, std::move(w));
}

std::map<int, LayerTrace> traces(const MoeModel& model, const torch::Tensor& ids)
{
    std::map<int, LayerTrace> out;
    ForwardOptions fo;
    fo.onLayer = [&](const LayerTrace& t) { out[t.layer] = t; };
    model.forward(ids, {}, fo);
    return out;
}

} // namespace

TEST_CASE("the tensor prefix of a plan name: characters other than [A-Za-z0-9._-] become '-'")
{
    CHECK(slimmingTensorPrefix("wanda-2:4") == "wanda-2-4");
    CHECK(slimmingTensorPrefix("my plan/v2") == "my-plan-v2");
    CHECK(slimmingTensorPrefix("sparsegpt_0.5-B") == "sparsegpt_0.5-B");
    CHECK(slimmingTensorPrefix("\xc3\xa9") == "--"); // each byte of a UTF-8 character
}

TEST_CASE("Wanda: |W| x input norm, per output row or per group of M, on a hand-computed case")
{
    const auto w = rows({{1, -2, 3, -0.5, 5, 0.1, 0.2, 0.3}, {0.1, 4, -1, 0.2, 1, 1, 1, -1}});
    const auto norms = torch::tensor({2.0, 0.5, 0.1, 4.0, 1.0, 1.0, 1.0, 1.0}, torch::kDouble);
    // Row 0 scores 2, 1, 0.3, 2, 5, 0.1, 0.2, 0.3; row 1: 0.2, 2, 0.1, 0.8, 1, 1, 1, 1.
    const auto scores = wandaScores(w, norms);
    CHECK(scores[0][2].item<double>() == doctest::Approx(0.3));
    CHECK(scores[1][3].item<double>() == doctest::Approx(0.8));
    // Unstructured 50%: the 4 lowest of each row (ties to the lower column: row 1 drops 0.1, 0.2, 0.8
    // and the first of its four 1s).
    CHECK(flat(wandaMask(w, norms, SparsityPattern::parse("unstructured", 0.5)))
          == std::vector<int64_t>{1, 1, 0, 1, 1, 0, 0, 0, /**/ 0, 1, 0, 0, 0, 1, 1, 1});
    // 2:4: the 2 lowest of every group of four.
    CHECK(flat(wandaMask(w, norms, SparsityPattern::parse("2:4", 0)))
          == std::vector<int64_t>{1, 0, 0, 1, 1, 0, 0, 1, /**/ 0, 1, 0, 1, 0, 0, 1, 1});
    CHECK(flat(wandaMask(w, norms, SparsityPattern::parse("unstructured", 0.25))).size() == 16);
    CHECK(wandaMask(w, norms, SparsityPattern::parse("unstructured", 0.25)).logical_not().sum().item<int64_t>() == 4);
    CHECK_THROWS_AS(wandaMask(w.narrow(1, 0, 6), norms.narrow(0, 0, 6), SparsityPattern::parse("2:4", 0)), Error);
    CHECK_THROWS_AS(SparsityPattern::parse("4:2", 0), Error);
    CHECK_THROWS_AS(SparsityPattern::parse("unstructured", 1.0), Error);
    CHECK(SparsityPattern::parse("2:4", 0).fraction() == 0.5);
    // Input norms are column norms over tokens.
    const auto x = rows({{3, 0}, {4, 1}});
    CHECK(flat(inputColumnNorms(x)) == std::vector<int64_t>{5, 1});
}

TEST_CASE("SparseGPT on a hand-computed case: prune, then move the error onto the later column")
{
    // H = [[2, 1], [1, 2]] (no damping). H^-1 = [[2, -1], [-1, 2]] / 3 = U^T U with U_00^2 = 2/3,
    // U_01 = -(1/3) / sqrt(2/3), U_11^2 = 1/2. Scores w^2 / U_jj^2 = 1.5 and 8: column 0 goes; its
    // error w_0 / U_00 moves w_1 by -(w_0 / U_00) U_01 = +0.5.
    const auto w = rows({{1, 2}});
    const auto H = rows({{2, 1}, {1, 2}});
    SparseGptOptions o;
    o.damping = 0;
    const auto r = sparseGpt(w, H, SparsityPattern::parse("unstructured", 0.5), o);
    CHECK(flat(r.keep) == std::vector<int64_t>{0, 1});
    CHECK(r.weight[0][0].item<double>() == 0.0);
    CHECK(r.weight[0][1].item<double>() == doctest::Approx(2.5).epsilon(1e-14));
    // The same as the least-squares fit of w_1 with w_0 = 0: min (w - w')H(w - w')^T -> w_1' = w_1 + w_0 H_01 / H_11.
}

TEST_CASE("SparseGPT with a fixed mask: the lazy-batch updates equal OBS steps with direct inverses")
{
    torch::manual_seed(7);
    const auto x = torch::randn({40, 6}, torch::kDouble);
    const auto w = torch::randn({5, 6}, torch::kDouble);
    const auto H = inputHessian(x);
    CHECK(torch::allclose(H, x.t().matmul(x) * (2.0 / 40), 0, 1e-12));
    const auto keep = torch::rand({5, 6}, torch::kDouble) > 0.5;
    for (int64_t blockSize : {1, 2, 4, 128}) {
        for (double damping : {0.0, 0.01}) {
            CAPTURE(blockSize);
            CAPTURE(damping);
            SparseGptOptions o;
            o.blockSize = blockSize;
            o.damping = damping;
            o.fixedMask = keep;
            const auto r = sparseGpt(w, H, {}, o);
            CHECK(torch::equal(r.keep, keep));
            const auto Hd = H + torch::eye(6, torch::kDouble) * (damping * H.diagonal().mean());
            CHECK(torch::allclose(r.weight, naiveObs(w, Hd, keep), 1e-10, 1e-10));
            CHECK(r.weight.masked_select(keep.logical_not()).abs().max().item<double>() == 0.0);
        }
    }
}

TEST_CASE("SparseGPT pruning a prefix of columns is the dense least-squares solve")
{
    // With the pruned columns first, every kept column is still free when they are removed, so the
    // result is argmin ||X w^T - X_K w_K^T|| over the kept columns K: a direct lstsq on X.
    torch::manual_seed(11);
    const auto x = torch::randn({50, 7}, torch::kDouble);
    const auto w = torch::randn({3, 7}, torch::kDouble);
    auto keep = torch::ones({3, 7}, torch::kBool);
    keep.slice(1, 0, 3).fill_(false);
    SparseGptOptions o;
    o.damping = 0;
    o.blockSize = 2;
    o.fixedMask = keep;
    const auto r = sparseGpt(w, inputHessian(x), {}, o);
    const auto xk = x.slice(1, 3);
    const auto solution = std::get<0>(torch::linalg_lstsq(xk, x.matmul(w.t()), {}, "gelsd")); // [4, 3]
    CHECK(torch::allclose(r.weight.slice(1, 3), solution.t(), 1e-9, 1e-9));
    CHECK(r.weight.slice(1, 0, 3).abs().max().item<double>() == 0.0);
}

TEST_CASE("N:M masks have exactly N zeros in every group of M; unstructured batches prune their share")
{
    torch::manual_seed(5);
    const auto x = torch::randn({64, 32}, torch::kDouble);
    const auto w = torch::randn({16, 32}, torch::kDouble);
    for (const char* p : {"2:4", "1:4", "3:8"}) {
        const auto pattern = SparsityPattern::parse(p, 0);
        SparseGptOptions o;
        o.blockSize = 12; // rounded down to a multiple of M
        const std::string patternName = p;
        CAPTURE(patternName);
        for (int method = 0; method < 2; ++method) {
            CAPTURE(method);
            torch::Tensor keep, weight;
            if (method == 0) {
                keep = wandaMask(w, inputColumnNorms(x), pattern);
                weight = w * keep;
            } else {
                auto r = sparseGpt(w, inputHessian(x), pattern, o);
                keep = r.keep;
                weight = r.weight;
            }
            const auto zeros = keep.logical_not().view({16, 32 / pattern.m, pattern.m}).sum(-1);
            CHECK(torch::all(zeros == pattern.n).item<bool>());
            CHECK(torch::all((weight == 0) == keep.logical_not()).item<bool>());
        }
    }
    // Unstructured SparseGPT: every batch of columns loses floor(rows x cols x sparsity) weights.
    SparseGptOptions o;
    o.blockSize = 8;
    const auto r = sparseGpt(w, inputHessian(x), SparsityPattern::parse("unstructured", 0.3), o);
    for (int64_t b = 0; b < 32; b += 8)
        CHECK(r.keep.slice(1, b, b + 8).logical_not().sum().item<int64_t>() == 38); // floor(128 x 0.3)
}

TEST_CASE("SparseGPT without input (an expert no token reached) is magnitude pruning")
{
    const auto w = rows({{0.5, -3, 1, 2}});
    const auto r = sparseGpt(w, torch::zeros({4, 4}, torch::kDouble), SparsityPattern::parse("unstructured", 0.5));
    CHECK(flat(r.keep) == std::vector<int64_t>{0, 1, 0, 1});
    CHECK(torch::equal(r.weight, w * r.keep));
}

TEST_CASE("slimming pass: routed tokens of the slimmed prefix, experts only, masks and deltas in the plan")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const auto ids = g.tensor("input_ids_a");
    const auto& spec = model->spec();
    for (auto method : {SlimMethod::Wanda, SlimMethod::SparseGpt}) {
        for (const char* p : {"unstructured", "2:4"}) {
            const std::string patternName = p;
            CAPTURE(slimMethodName(method));
            CAPTURE(patternName);
            SlimmingOptions o;
            o.method = method;
            o.pattern = SparsityPattern::parse(p, 0.5);
            o.batchTokens = 5; // one block at a time
            Sink sink;
            const auto result = slimExperts(*model, ids, o, sink.fn());
            const auto& plan = result.plan;
            CHECK(plan.method == slimMethodName(method));
            const int64_t matrices = 3LL * 8 * spec.numMoeLayers();
            CHECK(result.matrices == matrices);
            CHECK(result.keptWeights * 2 == result.weights);
            CHECK(plan.steps.size() == static_cast<size_t>(method == SlimMethod::SparseGpt ? 2 * matrices : matrices));
            CHECK_NOTHROW(resolvePlan(spec, plan));
            CHECK(plan.tensorReferences().size() == sink.tensors.size());
            for (const auto& step : plan.steps)
                if (const auto* d = std::get_if<ApplyDelta>(&step))
                    CHECK(d->parameter.find(".experts.") != std::string::npos);

            // Rebuild the slimmed model from the plan's tensors; its layer inputs are what each layer
            // must have been slimmed on.
            auto slimmed = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
            installSlimmed(*slimmed, plan, sink);
            const auto slimTraces = traces(*slimmed, ids);
            for (int layer : spec.moeLayerIndices()) {
                CAPTURE(layer);
                const auto before = model->layer(layer), after = slimmed->layer(layer);
                CHECK(torch::equal(before.moe->router, after.moe->router));
                CHECK(torch::equal(before.attention.q.weight, after.attention.q.weight));
                const auto& t = slimTraces.at(layer);
                for (int e : {0, 5}) {
                    auto tokens = (t.moe->routing.ids == e).any(1).nonzero().squeeze(1);
                    auto xe = t.mlpInput.index_select(0, tokens);
                    const auto& w = before.moe->experts[static_cast<size_t>(e)].up.weight;
                    const auto& got = after.moe->experts[static_cast<size_t>(e)].up.weight;
                    torch::Tensor want;
                    if (method == SlimMethod::Wanda)
                        want = w * wandaMask(w, inputColumnNorms(xe), o.pattern);
                    else
                        want = sparseGpt(w, inputHessian(xe), o.pattern, o.sparseGpt).weight;
                    CHECK(torch::allclose(got, want, 1e-6, 1e-6)); // deltas travel as f32
                    const auto& mask = sink.tensors.at(fmt::format("masks/{}/layer{:02}/expert{:02}/up",
                        slimMethodName(method) + "-" + (std::string(p) == "2:4" ? std::string("2-4") : "unstructured-0.5"),
                        layer, e));
                    CHECK((mask.scalar_type() == torch::kUInt8));
                    CHECK(torch::equal(mask.to(torch::kBool), got != 0));
                }
            }
            // The first layer after a slimmed one sees different inputs than the original model's.
            const int second = spec.moeLayerIndices()[1];
            CHECK_FALSE(torch::allclose(slimTraces.at(second).mlpInput, traces(*model, ids).at(second).mlpInput));
        }
    }
}

TEST_CASE("slimming pass: shared experts only when asked")
{
    GoldenSet g("qwen2_moe");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const auto ids = g.tensor("input_ids_a");
    for (bool shared : {false, true}) {
        SlimmingOptions o;
        o.pattern = SparsityPattern::parse("unstructured", 0.25);
        o.sharedExperts = shared;
        o.tensorPrefix = "p";
        Sink sink;
        const auto result = slimExperts(*model, ids, o, sink.fn());
        int sharedSteps = 0;
        for (const auto& step : result.plan.steps)
            if (std::get<SparsifyMatrix>(step).expert == -1)
                ++sharedSteps;
        CHECK(sharedSteps == (shared ? 3 * model->spec().numMoeLayers() : 0));
        CHECK(sink.tensors.count("masks/p/layer01/expert03/down") == 1);
        CHECK(sink.tensors.count("masks/p/layer01/shared/gate") == (shared ? 1 : 0));
        CHECK_NOTHROW(resolvePlan(model->spec(), result.plan));
    }
}

TEST_CASE("slimming after expert trimming: kept experts only, factored matrices skipped, composed in order")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const auto ids = g.tensor("input_ids_a");
    const auto& spec = model->spec();
    // The trimmed model: layer 1 without experts 2 and 6 (router rows and weights gone), and expert 0
    // of layer 0 with a factored gate.
    Plan trim;
    trim.name = "trim";
    trim.method = "expert-drop";
    trim.steps.push_back(RemoveExperts{1, {2, 6}});
    auto w1 = model->layer(1);
    MoeWeights kept = *w1.moe;
    kept.experts.clear();
    kept.expertIds.clear();
    std::vector<int64_t> rowsKept;
    for (int e = 0; e < 8; ++e)
        if (e != 2 && e != 6) {
            rowsKept.push_back(e);
            kept.experts.push_back(w1.moe->experts[static_cast<size_t>(e)]);
            kept.expertIds.push_back(e);
        }
    kept.router = w1.moe->router.index_select(0, torch::tensor(rowsKept));
    w1.moe = kept;
    model->setLayer(1, std::move(w1));
    auto w0 = model->layer(0);
    auto& gate = w0.moe->experts[0].gate;
    auto [u, sv, vh] = torch::linalg_svd(gate.weight, false);
    gate.a = u.slice(1, 0, 8) * sv.slice(0, 0, 8);
    gate.b = vh.slice(0, 0, 8);
    gate.weight = torch::Tensor();
    model->setLayer(0, std::move(w0));

    SlimmingOptions o;
    o.pattern = SparsityPattern::parse("2:4", 0);
    o.tensorPrefix = "after-trim";
    o.existingMasks = {maskKey(2, 3, Proj::Down)};
    Sink sink;
    const auto result = slimExperts(*model, ids, o, sink.fn());
    CHECK(result.skipped.size() == 2);
    CHECK(result.skipped[0].starts_with("layer00/expert00/gate: factored"));
    CHECK(result.skipped[1].starts_with("layer02/expert03/down: already masked"));
    for (const auto& step : result.plan.steps) {
        const auto& s = std::get<SparsifyMatrix>(step);
        CHECK_FALSE((s.layer == 1 && (s.expert == 2 || s.expert == 6)));
    }
    CHECK(result.matrices == 3 * 8 * 3 - 6 - 2);
    Plan slim = result.plan;
    slim.name = "slim";
    const Plan composed = composePlans(spec, trim, slim);
    CHECK(composed.method == "expert-drop+wanda");
    CHECK(composed.parameters["first"]["name"] == "trim");
    CHECK(composed.parameters["second"]["name"] == "slim");
    REQUIRE(composed.steps.size() == 1 + slim.steps.size());
    CHECK(std::holds_alternative<RemoveExperts>(composed.steps.front()));
    // The composed model's layer 1 carries masks for its surviving experts only.
    const auto resolved = resolvePlan(spec, composed);
    for (const auto& m : resolved.layers[1].sparsity)
        CHECK((m.expert != 2 && m.expert != 6));
}

TEST_CASE("applyPlan reproduces the slimmed weights from the session's masks and SparseGPT deltas")
{
    GoldenSet g("qwen2_moe");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const auto ids = g.tensor("input_ids_a");
    SlimmingOptions o;
    o.method = SlimMethod::SparseGpt;
    o.pattern = SparsityPattern::parse("unstructured", 0.4);
    o.sharedExperts = true;
    Session session;
    Sink sink;
    auto result = slimExperts(*model, ids, o, [&](const std::string& name, const torch::Tensor& t) {
        putSessionTensor(session, name, t);
        sink.tensors[name] = t.clone();
    });
    result.plan.name = "sparsegpt";
    CHECK(session.missingTensors(result.plan).empty());
    auto expected = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    installSlimmed(*expected, result.plan, sink);
    auto applied = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    applyPlan(*applied, result.plan, sessionTensorSource(session));
    for (int layer : model->spec().moeLayerIndices()) {
        const auto a = applied->layer(layer), e = expected->layer(layer);
        for (size_t j = 0; j < a.moe->experts.size(); ++j)
            CHECK(torch::equal(a.moe->experts[j].down.weight, e.moe->experts[j].down.weight));
        CHECK(torch::equal(a.moe->shared->up.weight, e.moe->shared->up.weight));
        CHECK_FALSE(torch::equal(a.moe->shared->up.weight, model->layer(layer).moe->shared->up.weight));
    }
    const auto logits = applied->forward(ids).logits, want = expected->forward(ids).logits;
    CHECK(torch::allclose(logits, want, 0, 1e-12));
}
