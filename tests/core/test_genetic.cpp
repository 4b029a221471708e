// Genetic search: exact optimum on enumerable spaces (forced GA vs enumeration), on a synthetic
// fitness and on the real fast loss of a golden layer; determinism; elitism; K best distinct sets.
#include "core/analysis/fast_loss.h"
#include "core/io/error.h"
#include "core/model/moe_model.h"
#include "core/search/genetic.h"
#include "support/golden.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace moewb;

namespace {

// Per-expert costs plus pairwise interactions: the optimum is not just the P cheapest experts.
double synthetic(const std::vector<int>& s)
{
    double v = 0.0;
    for (int a : s) {
        v += std::fmod(a * 7.31, 5.0);
        for (int b : s)
            if (a < b)
                v += std::sin(a * 1.7 + b * 0.3);
    }
    return v;
}

std::vector<int> range(int n)
{
    std::vector<int> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

} // namespace

TEST_CASE("binomial coefficients")
{
    CHECK(binomial(8, 2) == 28);
    CHECK(binomial(60, 15) == 53194089192720ull);
    CHECK(binomial(5, 7) == 0);
    CHECK(binomial(200, 100) == UINT64_MAX);
}

TEST_CASE("enumeration when the space is small, and the forced GA finds the same optimum")
{
    auto exact = searchLayer(range(12), 4, synthetic);  // C(12,4) = 495 <= 100 x 50
    CHECK(exact.exhaustive);
    CHECK(exact.evaluations == 495);
    REQUIRE(exact.best.size() == 3);
    CHECK(exact.best[0].fitness <= exact.best[1].fitness);
    CHECK(exact.best[1].set != exact.best[0].set);

    GeneticOptions ga;
    ga.forceGenetic = true;
    ga.seed = 7;
    auto found = searchLayer(range(12), 4, synthetic, ga);
    CHECK_FALSE(found.exhaustive);
    CHECK(found.history.size() == 50);
    CHECK(found.best[0].set == exact.best[0].set);
    CHECK(found.best[0].fitness == exact.best[0].fitness);
    for (size_t g = 0; g < found.history.size(); ++g) {
        const auto& h = found.history[g];
        CHECK(h.best <= h.mean);
        CHECK(h.mean <= h.worst);
        if (g > 0)
            CHECK(h.best <= found.history[g - 1].best);  // elitism: never worse
    }
}

TEST_CASE("same seed, same search bit for bit; cancellation")
{
    GeneticOptions ga;
    ga.forceGenetic = true;
    ga.population = 30;
    ga.generations = 20;
    ga.seed = 42;
    auto a = searchLayer(range(20), 6, synthetic, ga);
    auto b = searchLayer(range(20), 6, synthetic, ga);
    REQUIRE(a.history.size() == b.history.size());
    for (size_t g = 0; g < a.history.size(); ++g) {
        CHECK(a.history[g].bestSet == b.history[g].bestSet);
        CHECK(a.history[g].mean == b.history[g].mean);
    }
    int calls = 0;
    CHECK_THROWS_AS(searchLayer(range(20), 6, synthetic, ga, [&](const GenerationStats&) { return ++calls < 3; }),
                    moewb::Cancelled);
    CHECK(calls == 3);
}

TEST_CASE("forced GA on the fast loss of a real layer finds the enumerated optimum")
{
    moewb::test::GoldenSet g("qwen3_moe");  // 16 experts, top-4: C(16,4) = 1820
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    std::optional<FastLayerLoss> fast;
    auto ids = g.tensor("input_ids_a");
    ForwardOptions options;
    options.lastLayer = 1;
    options.onLayer = [&](const LayerTrace& t) {
        LayerCalibration c{t.mlpInput, t.moe->logits, {ids.size(1), ids.size(1)}};
        fast.emplace(model->spec(), model->spec().layers[0], *t.weights->moe, c, 4);
    };
    model->forward(ids, {}, options);
    REQUIRE(fast);
    auto fitness = [&](const std::vector<int>& s) { return fast->loss(s); };
    auto exact = searchLayer(range(16), 4, fitness);
    REQUIRE(exact.exhaustive);
    GeneticOptions ga;
    ga.forceGenetic = true;
    ga.seed = 3;
    auto found = searchLayer(range(16), 4, fitness, ga);
    MESSAGE("optimum ", exact.best[0].fitness, " found by GA after ", found.evaluations, " of 1820 evaluations");
    CHECK(found.best[0].set == exact.best[0].set);
}
