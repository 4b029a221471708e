// CD-MoE (core/compress/condense.h): a condensed layer applied from a plan computes the hand-built
// equivalent (shared experts plus the kept experts' SwiGLUs summed with the constant weights), and
// the greedy expert and layer selection matches a brute-force reference that applies every candidate
// plan to a freshly opened model and runs the full forward pass (JS of softmax(hidden) at the next
// layer's output / the final hidden state; KL of the next-token distributions). The memory target
// stops the greedy layer order at the right layer; fine-tuning the condensed layers lowers the loss
// with the padding masked, leaves every other parameter bit-identical, and its deltas apply.
#include "core/compress/condense.h"
#include "core/io/error.h"
#include "core/io/tensor_layout.h"
#include "core/plan/apply.h"
#include "core/train/condense_finetune.h"
#include "support/golden.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

using namespace moewb;
using moewb::test::GoldenSet;

namespace {

// `damp` >= 0: that layer's routed experts scaled down 100-fold (their down projections), so that
// condensing it is the greedy search's first choice and later rounds have candidates above it.
std::unique_ptr<MoeModel> openGolden(const std::string& name, int damp = -1)
{
    auto model = MoeModel::open(GoldenSet(name).dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    model->makeResident();
    if (damp >= 0) {
        torch::NoGradGuard noGrad;
        const std::string prefix = fmt::format("model.layers.{}.mlp.experts.", damp);
        int scaled = 0;
        for (auto& [tensorName, t] : model->namedParameters())
            if (tensorName.rfind(prefix, 0) == 0 && tensorName.find("down_proj") != std::string::npos) {
                t.mul_(0.01);
                ++scaled;
            }
        REQUIRE(scaled > 0);
    }
    return model;
}

torch::Tensor tokens(const ModelSpec& spec, int64_t batch, int64_t length, uint64_t seed = 11)
{
    torch::manual_seed(seed);
    return torch::randint(spec.vocabSize, {batch, length}, torch::kLong);
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>();
}

// down(silu(gate x) * up x) written out from the weight tensors.
torch::Tensor swiglu(const SwiGlu& m, const torch::Tensor& x)
{
    auto g = torch::matmul(x, m.gate.weight.t());
    auto u = torch::matmul(x, m.up.weight.t());
    return torch::matmul(g * torch::sigmoid(g) * u, m.down.weight.t());
}

// Independent divergences: JS with m = (p + q) / 2 in probability space; KL of softmaxes.
double jsRef(const torch::Tensor& a, const torch::Tensor& b)
{
    const int64_t d = a.size(-1);
    auto p = torch::softmax(a.reshape({-1, d}), -1), q = torch::softmax(b.reshape({-1, d}), -1);
    auto m = (p + q) / 2;
    return (0.5 * (p * (p / m).log()).sum(-1) + 0.5 * (q * (q / m).log()).sum(-1)).mean().item<double>();
}

double klRef(const torch::Tensor& ref, const torch::Tensor& logits)
{
    const int64_t v = ref.size(-1);
    auto p = torch::softmax(ref.reshape({-1, v}), -1), q = torch::softmax(logits.reshape({-1, v}), -1);
    return (p * (p / q).log()).sum(-1).mean().item<double>();
}

// Mean combine weight of each expert over the tokens that selected it, by a plain loop over the
// routing of the original forward pass. layer -> expert -> weight.
std::map<int, std::vector<double>> meanGateWeights(const MoeModel& model, const torch::Tensor& ids)
{
    std::map<int, std::vector<double>> out;
    ForwardOptions fo;
    fo.onLayer = [&](const LayerTrace& t) {
        if (!t.moe)
            return;
        const auto E = static_cast<size_t>(t.weights->moe->experts.size());
        std::vector<double> sum(E, 0.0), count(E, 0.0);
        auto sel = t.moe->routing.ids.contiguous();
        auto w = t.moe->routing.weights.to(torch::kDouble).contiguous();
        for (int64_t n = 0; n < sel.size(0); ++n)
            for (int64_t k = 0; k < sel.size(1); ++k) {
                const auto e = static_cast<size_t>(sel[n][k].item<int64_t>());
                sum[e] += w[n][k].item<double>();
                count[e] += 1;
            }
        for (size_t e = 0; e < E; ++e)
            sum[e] = count[e] > 0 ? sum[e] / count[e] : 0.0;
        out[t.layer] = sum;
    };
    torch::NoGradGuard noGrad;
    model.forward(ids, {}, fo);
    return out;
}

Plan condensePlan(const std::map<int, std::vector<int>>& layers, const std::map<int, std::vector<double>>& gate)
{
    Plan plan{"ref", "cd-moe", {}, {}};
    for (const auto& [l, experts] : layers) {
        CondenseLayer step{l, experts, {}};
        for (int e : experts)
            step.weights.push_back(gate.at(l).at(static_cast<size_t>(e)));
        plan.steps.push_back(step);
    }
    return plan;
}

struct Outputs {
    std::vector<torch::Tensor> hiddenStates;
    torch::Tensor hidden, logits;
};

Outputs forwardWith(const std::string& name, const Plan* plan, const torch::Tensor& ids, int damp)
{
    auto model = openGolden(name, damp);
    if (plan)
        applyPlan(*model, *plan);
    ForwardOptions fo;
    fo.hiddenStates = true;
    torch::NoGradGuard noGrad;
    auto r = model->forward(ids, {}, fo);
    return {r.hiddenStates, r.hidden, r.logits};
}

// The next layer's output (or the layer's own at the end), unnormed.
torch::Tensor nextOutput(const Outputs& o, int layer, int numLayers)
{
    const int idx = std::min(layer + 1, numLayers - 1);
    return idx == numLayers - 1 ? o.hidden : o.hiddenStates.at(static_cast<size_t>(idx + 1));
}

struct Reference {
    std::map<int, std::vector<int>> experts;
    std::map<int, std::vector<double>> expertDivergence;
    std::vector<int> order;
    std::vector<double> layerDivergence;
    // Every candidate's divergence: (stage, layer, expert or -1, round); the empty set's is not reported.
    std::map<std::tuple<int, int, int, int>, double> candidates;
};

Reference bruteForce(const std::string& name, const torch::Tensor& ids, int layers, int k, CondenseMetric metric, int damp)
{
    auto model = openGolden(name, damp);
    const auto& spec = model->spec();
    const int L = spec.numLayers;
    auto gate = meanGateWeights(*model, ids);
    const Outputs orig = forwardWith(name, nullptr, ids, damp);
    auto divergence = [&](const Outputs& o, int layer) {
        if (metric == CondenseMetric::NextTokenKl)
            return klRef(orig.logits, o.logits);
        return layer >= 0 ? jsRef(nextOutput(orig, layer, L), nextOutput(o, layer, L)) : jsRef(orig.hidden, o.hidden);
    };
    Reference ref;
    for (int l : spec.moeLayerIndices()) {
        std::vector<int> S;
        for (int round = 0; round <= k; ++round) {
            int best = -1;
            double bestD = INFINITY;
            for (int e = -1; e < spec.layers[static_cast<size_t>(l)].numExperts; ++e) {
                if ((round == 0) != (e < 0) || std::find(S.begin(), S.end(), e) != S.end())
                    continue;
                auto trial = S;
                if (e >= 0)
                    trial.push_back(e);
                const Plan plan = condensePlan({{l, trial}}, gate);
                const double d = divergence(forwardWith(name, &plan, ids, damp), l);
                if (e >= 0)
                    ref.candidates[{0, l, e, round - 1}] = d;
                if (d < bestD) {
                    best = e;
                    bestD = d;
                }
            }
            if (best >= 0)
                S.push_back(best);
            ref.expertDivergence[l].push_back(bestD);
        }
        ref.experts[l] = S;
    }
    std::map<int, std::vector<int>> chosen;
    for (int round = 0; round < layers; ++round) {
        int best = -1;
        double bestD = INFINITY;
        for (int l : spec.moeLayerIndices()) {
            if (chosen.count(l))
                continue;
            auto trial = chosen;
            trial[l] = ref.experts[l];
            const Plan plan = condensePlan(trial, gate);
            const double d = divergence(forwardWith(name, &plan, ids, damp), -1);
            ref.candidates[{1, l, -1, round}] = d;
            if (d < bestD) {
                best = l;
                bestD = d;
            }
        }
        chosen[best] = ref.experts[best];
        ref.order.push_back(best);
        ref.layerDivergence.push_back(bestD);
    }
    return ref;
}

} // namespace

TEST_CASE("a condensed layer computes shared(x) + sum of the kept experts with constant weights")
{
    for (const std::string name : {"qwen2_moe", "deepseek_moe"}) {
        CAPTURE(name);
        auto orig = openGolden(name);
        const auto& spec = orig->spec();
        const auto moe = spec.moeLayerIndices();
        const int layer = moe.size() > 1 ? moe[1] : moe[0];
        const std::vector<int> kept{5, 2};
        const std::vector<double> weights{0.3, 0.15};
        const auto ids = tokens(spec, 2, 10);

        auto applied = openGolden(name);
        applyPlan(*applied, Plan{"c", "cd-moe", {}, {CondenseLayer{layer, kept, weights}}});
        torch::NoGradGuard noGrad;
        const auto logits = applied->forward(ids).logits;

        // By hand: the original layers, with layer `layer`'s MLP output replaced.
        auto h = orig->embed(ids);
        for (int i = 0; i < spec.numLayers; ++i) {
            auto w = orig->layer(i);
            auto ctx = orig->attentionContext({}, ids.size(0), ids.size(1));
            if (i != layer) {
                h = orig->runLayer(w, h, ctx);
                continue;
            }
            LayerTrace trace;
            orig->runLayer(w, h, ctx, nullptr, &trace);
            const auto& x = trace.mlpInput;
            auto y = swiglu(*w.moe->shared, x);
            if (w.moe->sharedGate.defined())
                y = torch::sigmoid(torch::matmul(x, w.moe->sharedGate.t())) * y;
            for (size_t j = 0; j < kept.size(); ++j)
                y = y + weights[j] * swiglu(w.moe->experts.at(static_cast<size_t>(kept[j])), x);
            h = trace.residual + y.view_as(trace.residual);
        }
        const auto expected = orig->head(orig->finalNorm(h));
        CHECK(maxDiff(logits, expected) < 1e-10);
        // And it is not the original layer.
        CHECK(maxDiff(logits, orig->forward(ids).logits) > 1e-4);
    }
}

TEST_CASE("greedy expert and layer selection match a brute-force reference over applied plans")
{
    struct Case {
        std::string model;
        int layers, experts;
        CondenseMetric metric;
        int damp = -1;  // see openGolden
    };
    // The undamped models condense their last MoE layer first; the damped cases start lower, so
    // that later rounds run candidates from the chosen layers' outputs.
    for (const Case& c : {Case{"qwen2_moe", 2, 2, CondenseMetric::HiddenJs}, Case{"deepseek_moe", 1, 2, CondenseMetric::HiddenJs},
                          Case{"qwen2_moe", 2, 1, CondenseMetric::NextTokenKl}, Case{"qwen2_moe", 2, 1, CondenseMetric::HiddenJs, 0},
                          Case{"deepseek_moe", 2, 1, CondenseMetric::NextTokenKl, 1}}) {
        CAPTURE(c.model);
        CAPTURE(condenseMetricName(c.metric));
        CAPTURE(c.damp);
        auto model = openGolden(c.model, c.damp);
        const auto ids = tokens(model->spec(), 3, 12);
        CondenseOptions o;
        o.layers = c.layers;
        o.experts = c.experts;
        o.metric = c.metric;
        o.batchTokens = 24; // two blocks per chunk: exercises the chunking
        int reported = 0;
        double lastProgress = -1;
        bool monotone = true;
        std::map<std::tuple<int, int, int, int>, double> candidates;
        o.onCandidate = [&](const CondenseCandidate& cand) {
            ++reported;
            candidates[{cand.stage == CondenseCandidate::Stage::Layer ? 1 : 0, cand.layer, cand.expert, cand.round}] = cand.divergence;
        };
        o.progress = [&](double f) {
            monotone = monotone && f >= lastProgress - 1e-12;
            lastProgress = f;
            return true;
        };
        const auto result = condenseLayers(*model, ids, o);
        const auto ref = bruteForce(c.model, ids, c.layers, c.experts, c.metric, c.damp);
        const auto gate = meanGateWeights(*model, ids);

        const auto moe = model->spec().moeLayerIndices();
        REQUIRE(result.choices.size() == moe.size());
        for (const auto& choice : result.choices) {
            CAPTURE(choice.layer);
            CHECK(choice.experts == ref.experts.at(choice.layer));
            REQUIRE(choice.divergence.size() == ref.expertDivergence.at(choice.layer).size());
            for (size_t i = 0; i < choice.divergence.size(); ++i)
                CHECK(choice.divergence[i] == doctest::Approx(ref.expertDivergence.at(choice.layer)[i]).epsilon(1e-9));
            for (size_t i = 0; i < choice.experts.size(); ++i)
                CHECK(choice.weights[i] ==
                      doctest::Approx(gate.at(choice.layer).at(static_cast<size_t>(choice.experts[i]))).epsilon(1e-12));
        }
        CHECK(result.order == ref.order);
        if (c.damp >= 0)
            CHECK(result.order.front() == c.damp);
        // Every candidate, not only the chosen ones (later layer rounds start some candidates from the
        // chosen layers' outputs, others from the original inputs).
        REQUIRE(candidates.size() == ref.candidates.size());
        for (const auto& [key, d] : ref.candidates) {
            CAPTURE(std::get<0>(key));
            CAPTURE(std::get<1>(key));
            CAPTURE(std::get<2>(key));
            CAPTURE(std::get<3>(key));
            REQUIRE(candidates.count(key) == 1);
            CHECK(candidates.at(key) == doctest::Approx(d).epsilon(1e-9));
        }
        REQUIRE(result.layerDivergence.size() == ref.layerDivergence.size());
        for (size_t i = 0; i < ref.layerDivergence.size(); ++i)
            CHECK(result.layerDivergence[i] == doctest::Approx(ref.layerDivergence[i]).epsilon(1e-9));

        // The plan: one valid CondenseLayer per chosen layer, in the chosen order.
        CHECK(validatePlan(model->spec(), result.plan).empty());
        REQUIRE(result.plan.steps.size() == static_cast<size_t>(c.layers));
        for (size_t i = 0; i < result.plan.steps.size(); ++i)
            CHECK(std::get<CondenseLayer>(result.plan.steps[i]).layer == result.order[i]);
        CHECK(result.plan.method == "cd-moe");

        // Every candidate is reported; progress ends at 1 and never goes back.
        int expected = 0;
        for (int l : moe)
            for (int r = 0; r < c.experts; ++r)
                expected += model->spec().layers[static_cast<size_t>(l)].numExperts - r;
        for (int r = 0; r < c.layers; ++r)
            expected += static_cast<int>(moe.size()) - r;
        CHECK(reported == expected);
        CHECK(monotone);
        CHECK(lastProgress == doctest::Approx(1.0));
    }
}

TEST_CASE("a streamed model condenses exactly as a resident one, and stays streamed")
{
    for (CondenseMetric metric : {CondenseMetric::HiddenJs, CondenseMetric::NextTokenKl}) {
        CAPTURE(condenseMetricName(metric));
        auto resident = openGolden("qwen2_moe");
        auto streamed = MoeModel::open(GoldenSet("qwen2_moe").dir(), ComputeOptions{torch::kDouble, torch::kCPU});
        REQUIRE(!streamed->resident());
        const auto ids = tokens(resident->spec(), 3, 12);
        CondenseOptions o;
        o.layers = 2;
        o.experts = 2;
        o.metric = metric;
        o.batchTokens = 24;
        const auto a = condenseLayers(*resident, ids, o);
        const auto b = condenseLayers(*streamed, ids, o);
        CHECK(!streamed->resident());
        CHECK(a.order == b.order);
        REQUIRE(a.choices.size() == b.choices.size());
        for (size_t i = 0; i < a.choices.size(); ++i) {
            CHECK(a.choices[i].experts == b.choices[i].experts);
            REQUIRE(a.choices[i].divergence.size() == b.choices[i].divergence.size());
            for (size_t j = 0; j < a.choices[i].divergence.size(); ++j)
                CHECK(b.choices[i].divergence[j] == doctest::Approx(a.choices[i].divergence[j]).epsilon(1e-12));
        }
        REQUIRE(a.layerDivergence.size() == b.layerDivergence.size());
        for (size_t i = 0; i < a.layerDivergence.size(); ++i)
            CHECK(b.layerDivergence[i] == doctest::Approx(a.layerDivergence[i]).epsilon(1e-12));
    }
}

TEST_CASE("condense rejects impossible requests")
{
    auto model = openGolden("qwen2_moe");
    const auto ids = tokens(model->spec(), 1, 8);
    CondenseOptions o;
    o.layers = 4; // 3 MoE layers
    CHECK_THROWS_AS(condenseLayers(*model, ids, o), Error);
    o.layers = 1;
    o.experts = 13; // 12 experts
    CHECK_THROWS_AS(condenseLayers(*model, ids, o), Error);
    o.experts = 1;
    o.candidateLayers = {2}; // the dense layer
    CHECK_THROWS_AS(condenseLayers(*model, ids, o), Error);
    o.candidateLayers = {};
    o.progress = [](double f) { return f < 0.2; };
    CHECK_THROWS_AS(condenseLayers(*model, ids, o), Cancelled);
    CHECK_THROWS_AS(parseCondenseMetric("mse"), Error);
}

TEST_CASE("a parameter target condenses layers in greedy order until the model holds at most that many")
{
    auto model = openGolden("qwen2_moe");
    const auto& spec = model->spec();
    const auto ids = tokens(spec, 2, 10);
    CondenseOptions o;
    o.experts = 1;
    o.layers = 3; // every MoE layer: the greedy order
    const auto all = condenseLayers(*model, ids, o);
    REQUIRE(all.order.size() == 3);
    auto held = [&](size_t n) {
        Plan p;
        p.steps.assign(all.plan.steps.begin(), all.plan.steps.begin() + static_cast<std::ptrdiff_t>(n));
        return accountPlan(spec, p).result.total();
    };
    const uint64_t source = accountPlan(spec, Plan{}).result.total();
    REQUIRE(held(1) < source);
    REQUIRE(held(2) < held(1));
    for (const auto& [target, layers] : std::vector<std::pair<uint64_t, size_t>>{
             {held(1), 1}, {held(1) - 1, 2}, {held(2), 2}, {held(2) - 1, 3}, {source + 5, 1}}) {
        CAPTURE(target);
        CondenseOptions t = o;
        t.layers = 1; // ignored with a target
        t.targetParameters = target;
        const auto r = condenseLayers(*model, ids, t);
        REQUIRE(r.order.size() == layers);
        CHECK(std::equal(r.order.begin(), r.order.end(), all.order.begin())); // a prefix of the greedy order
        CHECK(accountPlan(spec, r.plan).result.total() <= std::max(target, held(1)));
        CHECK(r.plan.parameters.at("target_parameters").get<uint64_t>() == target);
    }
    CondenseOptions t = o;
    t.targetParameters = held(3) - 1; // even all three layers hold more
    CHECK_THROWS_AS(condenseLayers(*model, ids, t), Error);
}

TEST_CASE("fine-tuning windows: the padded tail is masked out of the loss")
{
    std::vector<int32_t> stream(10);
    for (int i = 0; i < 10; ++i)
        stream[static_cast<size_t>(i)] = i + 1;
    const auto w = makeLmWindows(stream, 3, 0); // windows of 4 tokens: 1-4, 5-8, and 9-10 padded
    REQUIRE(w.inputs.sizes() == torch::IntArrayRef({3, 3}));
    CHECK(torch::equal(w.inputs, torch::tensor({1, 2, 3, 5, 6, 7, 9, 0, 0}, torch::kLong).view({3, 3})));
    CHECK(torch::equal(w.targets, torch::tensor({2, 3, 4, 6, 7, 8, 10, -100, -100}, torch::kLong).view({3, 3})));
    CHECK(makeLmWindows(std::vector<int32_t>(9, 1), 3, 0).inputs.size(0) == 2); // a 1-token tail is no window
    CHECK_THROWS_AS(makeLmWindows({1}, 3, 0), Error);

    // The loss is the mean cross-entropy over unmasked targets only, whatever the padding ids are.
    auto model = openGolden("qwen2_moe");
    const auto& spec = model->spec();
    std::vector<int32_t> ids(30);
    const auto r = tokens(spec, 1, 30);
    for (int i = 0; i < 30; ++i)
        ids[static_cast<size_t>(i)] = static_cast<int32_t>(r[0][i].item<int64_t>());
    const auto a = makeLmWindows(ids, 7, 0), b = makeLmWindows(ids, 7, 5); // 3 full windows + 6 tokens
    REQUIRE(a.inputs.size(0) == 4);
    torch::NoGradGuard noGrad;
    const double la = maskedLmLoss(*model, a.inputs, a.targets, false).item<double>();
    CHECK(la == doctest::Approx(maskedLmLoss(*model, b.inputs, b.targets, false).item<double>()).epsilon(1e-12));
    const auto logp = torch::log_softmax(model->forward(a.inputs).logits, -1);
    double sum = 0;
    int n = 0;
    for (int64_t i = 0; i < 4; ++i)
        for (int64_t t = 0; t < 7; ++t)
            if (a.targets[i][t].item<int64_t>() >= 0) {
                sum -= logp[i][t][a.targets[i][t].item<int64_t>()].item<double>();
                ++n;
            }
    CHECK(n == 3 * 7 + 5);
    CHECK(la == doctest::Approx(sum / n).epsilon(1e-12));
}

TEST_CASE("fine-tuning the condensed layers lowers the loss, touches nothing else, and its deltas apply")
{
    for (const std::string name : {"qwen2_moe", "deepseek_moe"}) {
        CAPTURE(name);
        auto model = openGolden(name);
        const auto& spec = model->spec();
        const auto moe = spec.moeLayerIndices();
        const int layer = moe.back();
        const Plan condense{"cd", "cd-moe", {}, {CondenseLayer{layer, {3, 1}, {0.3, 0.2}}}};
        applyPlan(*model, condense);
        std::map<std::string, torch::Tensor> before;
        for (auto& [n, t] : model->namedParameters())
            before[n] = t.detach().clone();

        std::vector<int32_t> train(4 * 17 + 9); // 4 windows of 16 + 1 tokens and a padded tail
        const auto r = tokens(spec, 1, static_cast<int64_t>(train.size()), 5);
        for (size_t i = 0; i < train.size(); ++i)
            train[i] = static_cast<int32_t>(r[0][static_cast<int64_t>(i)].item<int64_t>());
        CondenseFinetuneOptions fo;
        fo.steps = 12;
        fo.batchSize = 5; // every window each step: the per-step losses are comparable
        fo.seqLen = 16;
        fo.lr = 3e-2;
        fo.warmupSteps = 2;
        const auto data = makeLmWindows(train, 16, spec.padTokenId.value_or(spec.eosTokenId.value_or(0)));
        const double initial = maskedLmLoss(*model, data.inputs, data.targets, false).item<double>();
        std::vector<double> lrs;
        const auto result = finetuneCondensed(*model, {layer}, train, fo, [&](const CondenseFinetuneStep& s) {
            lrs.push_back(s.lr);
            return true;
        });
        const double final = maskedLmLoss(*model, data.inputs, data.targets, false).item<double>();
        REQUIRE(result.losses.size() == 12);
        CHECK(result.losses.front() == doctest::Approx(initial).epsilon(1e-10)); // the first step sees the model untouched
        CHECK(final < initial - 0.05);
        CHECK(result.windows == 5);
        CHECK(result.paddedTargets == 16 - 8);
        // Warm-up then linear decay: 1.5e-2, 3e-2, then 3e-2 * (1 - (step - 2) / 10).
        CHECK(lrs[0] == doctest::Approx(1.5e-2));
        CHECK(lrs[1] == doctest::Approx(3e-2));
        CHECK(lrs[7] == doctest::Approx(3e-2 * 0.5));

        // Trained: the kept experts' and the shared experts' matrices of the condensed layer, nothing else.
        std::set<std::string> expected;
        for (int e : {3, 1})
            for (Proj p : {Proj::Gate, Proj::Up, Proj::Down})
                expected.insert(expertProjName(spec, layer, e, p));
        for (Proj p : {Proj::Gate, Proj::Up, Proj::Down})
            expected.insert(sharedExpertProjName(spec, layer, p));
        CHECK(std::set<std::string>(result.parameters.begin(), result.parameters.end()) == expected);
        int unchanged = 0, changed = 0;
        for (auto& [n, t] : model->namedParameters()) {
            CAPTURE(n);
            if (expected.count(n)) {
                CHECK(!torch::equal(t, before.at(n)));
                ++changed;
            } else {
                CHECK(torch::equal(t, before.at(n))); // bit-identical
                ++unchanged;
            }
        }
        CHECK(changed == 9);
        CHECK(unchanged > 9);

        // The plan with the deltas, applied to a fresh model from a tensor store, computes the
        // fine-tuned model (deltas are f32: equal to float rounding); without them it does not.
        Plan plan = condense;
        for (const auto& step : condenseDeltaSteps(result, "deltas/cd"))
            plan.steps.push_back(step);
        CHECK(validatePlan(spec, plan).empty());
        std::map<std::string, torch::Tensor> store;
        for (const auto& [n, d] : result.deltas)
            store["deltas/cd/" + n] = d;
        CHECK(plan.tensorReferences().size() == 9);
        auto fresh = openGolden(name);
        applyPlan(*fresh, plan, [&](const std::string& n) { return store.at(n); });
        const auto ids = tokens(spec, 2, 12, 3);
        torch::NoGradGuard noGrad;
        const auto tuned = model->forward(ids).logits;
        CHECK(maxDiff(fresh->forward(ids).logits, tuned) < 1e-5);
        auto plain = openGolden(name);
        applyPlan(*plain, condense);
        CHECK(maxDiff(plain->forward(ids).logits, tuned) > 1e-3);
    }
}

TEST_CASE("fine-tuning refuses layers that are not condensed")
{
    auto model = openGolden("qwen2_moe");
    std::vector<int32_t> train(40, 7);
    CHECK_THROWS_AS(finetuneCondensed(*model, {0}, train, {}), Error);
    CHECK_THROWS_AS(finetuneCondensed(*model, {}, train, {}), Error);
}
