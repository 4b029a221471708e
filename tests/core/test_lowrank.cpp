// MoE-I² low-rank stage: rank allocation (hand-computed cases and budget invariants), plain and
// activation-aware SVD (exact at full rank, Eckart-Young, whitening optimality, fall-back), and the
// decompose stage on a demo model (activation-aware error <= plain at equal rank, accounting).
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/io/warning.h"
#include "core/lowrank/decompose.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "support/paths.h"

#include <doctest/doctest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <random>

using namespace moewb;

namespace {

RankAllocationInput oneLayer(std::vector<double> importance, double rate, double alpha, int64_t m = 8, int64_t n = 8)
{
    RankAllocationInput in;
    RankLayerInput l{3, {}, importance, m, n};
    for (size_t j = 0; j < importance.size(); ++j)
        l.experts.push_back(static_cast<int>(2 * j));
    in.layers.push_back(l);
    in.decompositionRate = rate;
    in.alpha = alpha;
    return in;
}

std::vector<int> ranks(const RankAllocation& a)
{
    std::vector<int> r;
    for (const auto& l : a.layers)
        for (const auto& e : l.experts)
            r.push_back(e.rank);
    return r;
}

} // namespace

TEST_CASE("break-even rank and expert parameter counts")
{
    CHECK(breakEvenRank(4, 4) == 1);     // 8r < 16
    CHECK(breakEvenRank(128, 64) == 42); // 42 * 192 = 8064 < 8192 <= 43 * 192
    CHECK(breakEvenRank(8, 8) == 3);     // 16r < 64
    CHECK(expertParameters(8, 8, 2) == 3 * 2 * 16);
    CHECK(expertParameters(8, 8, 0) == 3 * 64);
    CHECK(expertParameters(8, 8, 4) == 3 * 64); // at break-even the factor is not used
}

TEST_CASE("rank allocation: hand-computed cases")
{
    // m = n = 8: R_a = (1 - 0.5) * 64 / 16 = 2; equal importance -> 2 and 2, exactly the budget 192.
    auto a = allocateRanks(oneLayer({1.0, 1.0}, 0.5, 0.15));
    CHECK(a.layers[0].averageRank == doctest::Approx(2.0));
    CHECK(ranks(a) == std::vector<int>{2, 2});
    CHECK(a.denseParameters == 384);
    CHECK(a.budget == 192);
    CHECK(a.allocated == 192);

    // alpha = 1, importance 3 : 1 -> raw 3 and 1 (total R_a * M = 4).
    a = allocateRanks(oneLayer({3.0, 1.0}, 0.5, 1.0));
    CHECK(a.layers[0].experts[0].raw == doctest::Approx(3.0).epsilon(1e-5));
    CHECK(ranks(a) == std::vector<int>{3, 1});
    CHECK(a.allocated == 192);

    // Skewed: raw ~4 and ~0. Rank 4 is above break-even (3), so it would stay dense and, with the
    // other expert clamped to 1, cost 192 + 48 > 192; the repair scales down to 3 and 1.
    a = allocateRanks(oneLayer({100.0, 0.0}, 0.5, 1.0));
    CHECK(ranks(a) == std::vector<int>{3, 1});
    CHECK(a.allocated <= a.budget);

    // R_a = 2.4: floors to 2 and 2 (192); a third rank for either (+48) would exceed floor(0.6*384) = 230.
    a = allocateRanks(oneLayer({1.0, 1.0}, 0.4, 0.15));
    CHECK(ranks(a) == std::vector<int>{2, 2});
    CHECK(a.budget == 230);

    // Rate 0: nothing to remove, every expert stays dense.
    a = allocateRanks(oneLayer({1.0, 2.0}, 0.0, 0.15));
    CHECK(ranks(a) == std::vector<int>{0, 0});
    CHECK(a.allocated == a.denseParameters);

    // Overrides: a fixed expert keeps its rank; the others share the rest.
    auto in = oneLayer({1.0, 1.0, 1.0}, 0.5, 0.15);
    in.expertRank[{3, 2}] = 1;
    a = allocateRanks(in);
    CHECK(a.layers[0].experts[1].overridden);
    CHECK(a.layers[0].experts[1].rank == 1);
    CHECK(a.allocated <= a.budget);

    CHECK_THROWS_AS(allocateRanks(oneLayer({1.0}, 1.0, 0.15)), Error);
    CHECK_THROWS_WITH_AS(allocateRanks(oneLayer({1.0, 1.0}, 0.99, 0.15)), doctest::Contains("even rank 1"), Error);
    in.expertRank[{3, 5}] = 2;
    CHECK_THROWS_WITH_AS(allocateRanks(in), doctest::Contains("expert 5"), Error);
}

TEST_CASE("rank allocation: an override above break-even keeps experts dense, and says so")
{
    std::vector<std::string> warnings;
    setWarningHandler([&](const std::string& m) { warnings.push_back(m); });
    auto in = oneLayer({1.0, 1.0}, 0.5, 0.15);
    in.layerAverageRank[3] = 100000; // --layer-rank 3=100000
    auto a = allocateRanks(in);
    CHECK(ranks(a) == std::vector<int>{0, 0});
    in = oneLayer({1.0, 1.0}, 0.1, 0.15);
    in.expertRank[{3, 2}] = 7; // --expert-rank 3:2=7 on 8 x 8 matrices (break-even 3)
    a = allocateRanks(in);
    CHECK(a.layers[0].experts[1].rank == 0);
    setWarningHandler({});
    CHECK(warnings
        == std::vector<std::string>{"layer 3: the rank override (average rank 100000) keeps 2 of 2 experts dense: "
                                    "above rank 3 a factor pair of a 8 x 8 matrix holds more parameters than the matrix",
            "layer 3: the rank override keeps 1 of 2 experts dense: above rank 3 a factor pair of a 8 x 8 matrix "
            "holds more parameters than the matrix"});
}

TEST_CASE("rank allocation invariants on random layers: budget met, nothing factored above break-even")
{
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int trial = 0; trial < 50; ++trial) {
        RankAllocationInput in;
        in.decompositionRate = 0.1 + 0.7 * u(rng);
        in.alpha = u(rng) < 0.5 ? 0.15 : 1.0;
        const int64_t m = 32 + static_cast<int64_t>(u(rng) * 96), n = 16 + static_cast<int64_t>(u(rng) * 200);
        for (int l = 0; l < 4; ++l) {
            RankLayerInput layer{l, {}, {}, m, n};
            const int experts = 2 + static_cast<int>(u(rng) * 10);
            for (int e = 0; e < experts; ++e) {
                layer.experts.push_back(e);
                layer.importance.push_back(std::pow(u(rng), 4) * 10);
            }
            in.layers.push_back(layer);
        }
        const auto a = allocateRanks(in);
        CAPTURE(trial);
        CHECK(a.allocated <= a.budget);
        uint64_t sum = 0;
        int factored = 0;
        for (const auto& l : a.layers)
            for (const auto& e : l.experts) {
                CHECK((e.rank == 0 || (e.rank >= 1 && e.rank <= breakEvenRank(m, n))));
                sum += expertParameters(m, n, e.rank);
                factored += e.rank > 0;
            }
        CHECK(sum == a.allocated);
        // Within one rank step of the budget (nothing left that a +1 could use), unless nothing is factored.
        if (factored > 0)
            CHECK(a.budget - a.allocated < 3 * static_cast<uint64_t>(m + n) * 2);
    }
}

TEST_CASE("plain and activation-aware SVD")
{
    torch::manual_seed(5);
    const auto w = torch::randn({24, 16}, torch::kDouble);
    // Inputs with a very anisotropic second moment (some directions matter far more).
    const auto x = torch::randn({400, 16}, torch::kDouble) * torch::logspace(-2, 1, 16, 10, torch::kDouble);
    const auto gram = torch::matmul(x.t(), x);

    auto [pa, pb] = plainSvdFactors(w, 16);
    CHECK((torch::matmul(pa, pb) - w).abs().max().item<double>() < 1e-10);
    const auto full = activationAwareFactors(w, gram, 400, 16);
    CHECK(full.used == SvdMode::ActivationAware);
    CHECK((torch::matmul(full.a, full.b) - w).abs().max().item<double>() < 1e-8);

    for (int r : {1, 4, 8}) {
        CAPTURE(r);
        auto [a, b] = plainSvdFactors(w, r);
        const auto aware = activationAwareFactors(w, gram, 400, r);
        const double plainErr = activationError(w, a, b, gram), awareErr = activationError(w, aware.a, aware.b, gram);
        CHECK(awareErr < plainErr);
        // Optimality on the inputs: the whitened error equals the tail of W S's spectrum.
        const auto l = torch::linalg_cholesky(gram);
        const auto sv = torch::linalg_svdvals(torch::matmul(w, l));
        CHECK(awareErr == doctest::Approx(sv.narrow(0, r, sv.size(0) - r).pow(2).sum().item<double>()).epsilon(1e-8));
        // Plain SVD is optimal in the Frobenius norm.
        CHECK((w - torch::matmul(a, b)).norm().item<double>() <= (w - torch::matmul(aware.a, aware.b)).norm().item<double>() + 1e-12);
    }
    // Too few tokens for the dimension: plain, and said so.
    const auto few = activationAwareFactors(w, torch::matmul(x.narrow(0, 0, 8).t(), x.narrow(0, 0, 8)), 8, 4);
    CHECK(few.used == SvdMode::Plain);
    // A singular but token-rich moment (a dead input direction) needs jitter.
    auto dead = x.clone();
    dead.select(1, 3).zero_();
    const auto jittered = activationAwareFactors(w, torch::matmul(dead.t(), dead), 400, 4);
    CHECK(jittered.used == SvdMode::ActivationAware);
    CHECK(jittered.jitter > 0);
    CHECK_THROWS_AS(plainSvdFactors(w, 0), std::exception);
    CHECK_THROWS_AS(activationAwareFactors(w, gram, 400, 17), Error);
}

TEST_CASE("decompose on the Qwen demo model: activation-aware beats plain on the calibration inputs")
{
    const auto dir = moewb::test::sourceDir() / "resources/demo";
    auto model = MoeModel::open(dir / "models/qwen", ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    const auto blocks = loadTextBlocks(dir / "calib.txt", Tokenizer::fromFile(dir / "models/qwen/tokenizer.json"),
                                       BlockOptions{8, 64, BlockSelection::Random, 1});
    const Plan pruning{"prune", "moe-i2", {}, {RemoveExperts{1, {0, 5}}}};
    auto pruned = MoeModel::open(dir / "models/qwen", ComputeOptions{torch::kFloat, torch::kCPU});
    pruned->makeResident();
    applyPlan(*pruned, pruning);

    DecomposeOptions o;
    o.rate = 0.4;
    o.mode = SvdMode::ActivationAware;
    const auto aware = decomposeExperts(*pruned, pruning, blocks.ids, o);
    o.mode = SvdMode::Plain;
    o.importance = aware.importance; // same ranks
    const auto plain = decomposeExperts(*pruned, pruning, blocks.ids, o);
    REQUIRE(aware.matrices.size() == plain.matrices.size());
    REQUIRE(!aware.matrices.empty());
    int awareUsed = 0, better = 0;
    for (size_t i = 0; i < aware.matrices.size(); ++i) {
        const auto& a = aware.matrices[i];
        const auto& p = plain.matrices[i];
        CHECK(a.rank == p.rank);
        CHECK(p.used == SvdMode::Plain);
        if (a.used == SvdMode::ActivationAware) {
            ++awareUsed;
            CHECK(a.activationError <= p.activationError * (1 + 1e-4) + 1e-7);
            better += a.activationError < p.activationError;
            CHECK(a.relativeError >= p.relativeError - 1e-6); // plain is optimal in Frobenius norm
        }
    }
    CHECK(awareUsed > 0);
    CHECK(better > 0);
    // Layer 1 lost experts 0 and 5, and no removed expert is factored.
    for (const auto& la : aware.importance)
        CHECK(la.expertIds.size() == (la.layer == 1 ? 14u : 16u));
    CHECK(aware.allocation.allocated <= aware.allocation.budget);
    // The plan's accounting matches the model the factors make.
    Session session;
    for (const auto& [name, t] : aware.factors)
        putSessionTensor(session, name, t);
    auto applied = MoeModel::open(dir / "models/qwen", ComputeOptions{torch::kFloat, torch::kCPU});
    applied->makeResident();
    const auto info = applyPlan(*applied, aware.plan, sessionTensorSource(session));
    uint64_t held = 0;
    for (const auto& [name, t] : applied->namedParameters())
        held += static_cast<uint64_t>(t.numel());
    CHECK(held == info.parameters);
    CHECK(info.parameters < accountPlan(model->spec(), pruning).result.total());
}
