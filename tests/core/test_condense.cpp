// CD-MoE (core/compress/condense.h): a condensed layer applied from a plan computes the hand-built
// equivalent (shared experts plus the kept experts' SwiGLUs summed with the constant weights), and
// the greedy expert and layer selection matches a brute-force reference that applies every candidate
// plan to a freshly opened model and runs the full forward pass (JS of softmax(hidden) at the next
// layer's output / the final hidden state; KL of the next-token distributions).
#include "core/compress/condense.h"
#include "core/io/error.h"
#include "core/plan/apply.h"
#include "support/golden.h"

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>

using namespace moewb;
using moewb::test::GoldenSet;

namespace {

std::unique_ptr<MoeModel> openGolden(const std::string& name)
{
    auto model = MoeModel::open(GoldenSet(name).dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    model->makeResident();
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

Outputs forwardWith(const std::string& name, const Plan* plan, const torch::Tensor& ids)
{
    auto model = openGolden(name);
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
};

Reference bruteForce(const std::string& name, const torch::Tensor& ids, int layers, int k, CondenseMetric metric)
{
    auto model = openGolden(name);
    const auto& spec = model->spec();
    const int L = spec.numLayers;
    auto gate = meanGateWeights(*model, ids);
    const Outputs orig = forwardWith(name, nullptr, ids);
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
                const double d = divergence(forwardWith(name, &plan, ids), l);
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
            const double d = divergence(forwardWith(name, &plan, ids), -1);
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
    };
    for (const Case& c : {Case{"qwen2_moe", 2, 2, CondenseMetric::HiddenJs}, Case{"deepseek_moe", 1, 2, CondenseMetric::HiddenJs},
                          Case{"qwen2_moe", 2, 1, CondenseMetric::NextTokenKl}}) {
        CAPTURE(c.model);
        CAPTURE(condenseMetricName(c.metric));
        auto model = openGolden(c.model);
        const auto ids = tokens(model->spec(), 3, 12);
        CondenseOptions o;
        o.layers = c.layers;
        o.experts = c.experts;
        o.metric = c.metric;
        o.batchTokens = 24; // two blocks per chunk: exercises the chunking
        int reported = 0;
        double lastProgress = -1;
        bool monotone = true;
        o.onCandidate = [&](const CondenseCandidate&) { ++reported; };
        o.progress = [&](double f) {
            monotone = monotone && f >= lastProgress - 1e-12;
            lastProgress = f;
            return true;
        };
        const auto result = condenseLayers(*model, ids, o);
        const auto ref = bruteForce(c.model, ids, c.layers, c.experts, c.metric);
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
