// The fast (Gram) reconstruction loss equals the loss of the real MoE block with the experts masked
// in place, for every router rule, for random sets including ones that remove a token's top-1
// expert and sets of the maximum size P, with every expert a candidate (P = E - k) and with fewer
// (the restricted routing). Both sides run in float64 on the golden models.
#include "core/analysis/fast_loss.h"
#include "core/model/moe_model.h"
#include "core/io/error.h"
#include "support/golden.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

using namespace moewb;
using moewb::test::GoldenSet;

namespace {

struct CapturedLayer {
    int index = 0;
    LayerCalibration calibration;
    DecoderLayerWeights weights;
};

std::vector<CapturedLayer> captureMoeLayers(MoeModel& model, const torch::Tensor& ids)
{
    std::vector<CapturedLayer> layers;
    ForwardOptions options;
    options.onLayer = [&](const LayerTrace& t) {
        if (!t.moe)
            return;
        CapturedLayer c;
        c.index = t.layer;
        c.calibration.x = t.mlpInput;
        c.calibration.logits = t.moe->logits;
        c.calibration.batchSizes.assign(static_cast<size_t>(ids.size(0)), ids.size(1));
        c.weights = model.layer(t.layer);
        layers.push_back(std::move(c));
    };
    model.forward(ids, {}, options);
    return layers;
}

void checkEquivalence(const std::string& name)
{
    GoldenSet g(name);
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    model->makeResident();
    const auto& spec = model->spec();
    auto layers = captureMoeLayers(*model, g.tensor("input_ids_a"));
    REQUIRE_FALSE(layers.empty());
    std::mt19937 rng(1234);
    double worst = 0.0;
    int evaluated = 0;
    for (const auto& layer : layers) {
        const auto& ls = spec.layers[static_cast<size_t>(layer.index)];
        const int E = ls.numExperts;
        // The largest P makes every expert a candidate; a smaller one leaves experts outside a token's
        // candidates, whose softmax mass the restricted routing keeps as one number per token.
        for (const int P : {E - ls.topK, std::max(1, (E - ls.topK) / 2)}) {
            FastLayerLoss fast(spec, ls, *layer.weights.moe, layer.calibration, P);
            const bool groupLimited = spec.router.topkMethod == TopkMethod::GroupLimitedGreedy && spec.router.nGroup > 1;
            CHECK(fast.exhaustiveCandidates() == (groupLimited || P == E - ls.topK));
            // A token's top-1 expert: removing it must move that token's routing.
            const int top1 = static_cast<int>(layer.calibration.logits[0].argmax().item<int64_t>());
            std::vector<std::vector<int>> sets = {{top1}};
            std::vector<int> all(static_cast<size_t>(E));
            std::iota(all.begin(), all.end(), 0);
            for (int trial = 0; trial < 12; ++trial) {
                std::shuffle(all.begin(), all.end(), rng);
                const int size = trial < 3 ? P : 1 + static_cast<int>(rng() % static_cast<unsigned>(P));
                sets.emplace_back(all.begin(), all.begin() + size);
            }
            std::shuffle(all.begin(), all.end(), rng);
            std::vector<int> withTop1(all.begin(), all.begin() + P);
            if (std::find(withTop1.begin(), withTop1.end(), top1) == withTop1.end())
                withTop1.back() = top1;
            sets.push_back(withTop1);
            for (const auto& set : sets) {
                const double direct = directLayerLoss(spec, ls, *layer.weights.moe, layer.calibration, set);
                const double quick = fast.loss(set);
                INFO(name, " layer ", layer.index, " |S| = ", set.size(), ": direct ", direct, ", fast ", quick);
                REQUIRE(direct > 0.0);
                // Plus an absolute 1e-12: a set no token routes to leaves rounding noise (~1e-15) on both sides.
                CHECK(std::abs(quick - direct) <= 1e-9 * direct + 1e-12);
                if (direct > 1e-9)
                    worst = std::max(worst, std::abs(quick - direct) / direct);
                ++evaluated;
            }
            CHECK(fast.loss({}) == 0.0);
        }
    }
    MESSAGE(name, ": ", evaluated, " removal sets, worst relative error ", worst);
}

} // namespace

TEST_CASE("fast loss equals the masked forward for every router rule")
{
    // softmax+renorm (mixtral, qwen3), softmax without renorm + gated shared expert (qwen2_moe),
    // no renorm (olmoe), fp32 gate + scaling (deepseek_v2_lite), group-limited (deepseek_v2_group),
    // model-dtype softmax (deepseek_moe).
    for (const char* name : {"mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2_lite", "deepseek_v2_group",
                             "deepseek_moe"}) {
        SUBCASE(name) { checkEquivalence(name); }
    }
}

TEST_CASE("fast loss refuses sets beyond its precomputation and unknown experts")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    auto layers = captureMoeLayers(*model, g.tensor("input_ids_a"));
    const auto& spec = model->spec();
    const auto& ls = spec.layers[0];
    FastLayerLoss fast(spec, ls, *layers[0].weights.moe, layers[0].calibration, 2);
    CHECK(fast.candidatesPerToken() == 4);
    CHECK_THROWS_WITH_AS(fast.loss({0, 1, 2}), doctest::Contains("at most 2"), moewb::Error);
    CHECK_THROWS_WITH_AS(fast.loss({9}), doctest::Contains("expert 9"), moewb::Error);
}
