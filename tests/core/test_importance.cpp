// The analysis pass: one result per MoE layer, streamed in layer order, each single-expert loss equal
// to the masked forward's, routing statistics consistent, cancellation honoured.
#include "core/analysis/fast_loss.h"
#include "core/analysis/importance.h"
#include "core/io/error.h"
#include "core/model/moe_block.h"
#include "core/plan/apply.h"
#include "support/golden.h"

#include <doctest/doctest.h>

using namespace moewb;
using moewb::test::GoldenSet;

TEST_CASE("analysis streams one row per MoE layer with exact single-expert losses")
{
    GoldenSet g("qwen2_moe");  // has a dense layer (2) among its MoE layers
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    auto blocks = g.tensor("input_ids_a");
    std::vector<int> order;
    AnalysisOptions options;
    options.onLayer = [&](const LayerAnalysis& a) { order.push_back(a.layer); };
    auto results = analyzeImportance(*model, blocks, options);
    const auto moeLayers = model->spec().moeLayerIndices();
    CHECK(order == moeLayers);
    REQUIRE(results.size() == moeLayers.size());

    // Independent check of one layer: losses from the real masked MoE block.
    const auto& r = results[1];
    std::optional<LayerCalibration> calibration;
    DecoderLayerWeights weights;
    ForwardOptions capture;
    capture.onLayer = [&](const LayerTrace& t) {
        if (t.layer == r.layer) {
            calibration = LayerCalibration{t.mlpInput, t.moe->logits, {blocks.size(1), blocks.size(1)}};
            weights = *t.weights;
        }
    };
    model->forward(blocks, {}, capture);
    REQUIRE(calibration);
    const auto& ls = model->spec().layers[static_cast<size_t>(r.layer)];
    double sum = 0.0;
    for (size_t j = 0; j < r.expertLoss.size(); ++j) {
        const double direct = directLayerLoss(model->spec(), ls, *weights.moe, *calibration, {r.expertIds[j]});
        CHECK(r.expertLoss[j] == doctest::Approx(direct).epsilon(1e-9));
        sum += r.expertLoss[j];
    }
    CHECK(r.importance == doctest::Approx(sum));

    // Routing statistics: frequencies sum to top-k, softmax mass sums to 1.
    double freq = 0.0, mass = 0.0;
    for (size_t e = 0; e < r.routing.selectionFrequency.size(); ++e) {
        freq += r.routing.selectionFrequency[e];
        mass += r.routing.softmaxMass[e];
    }
    CHECK(freq == doctest::Approx(ls.topK));
    CHECK(mass == doctest::Approx(1.0));
}

TEST_CASE("analysis stops when the progress callback asks")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir());
    int layersSeen = 0;
    AnalysisOptions options;
    options.onLayer = [&](const LayerAnalysis&) { ++layersSeen; };
    options.progress = [](double) { return false; };  // at the first chunk of the first layer
    CHECK_THROWS_AS(analyzeImportance(*model, g.tensor("input_ids_a"), options), moewb::Cancelled);
    CHECK(layersSeen == 0);
    options.progress = [&](double) { return layersSeen == 0; };  // once the first layer has reported
    CHECK_THROWS_AS(analyzeImportance(*model, g.tensor("input_ids_a"), options), moewb::Cancelled);
    CHECK(layersSeen == 1);
}

TEST_CASE("a layer pruned down to top-k experts: I_l,j is the loss of dropping expert j's weighted output")
{
    GoldenSet g("qwen2_moe");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const int layer = model->spec().moeLayerIndices().front();
    const auto& ls = model->spec().layers[static_cast<size_t>(layer)];
    REQUIRE(ls.numExperts > ls.topK);
    std::vector<int> removed;
    for (int e = ls.topK; e < ls.numExperts; ++e)
        removed.push_back(e);
    model->makeResident();
    applyPlan(*model, Plan{"to-top-k", "test", {}, {RemoveExperts{layer, removed}}});
    auto blocks = g.tensor("input_ids_a");
    const auto results = analyzeImportance(*model, blocks);  // the fast loss would refuse this layer
    REQUIRE(results.front().layer == layer);
    const auto& r = results.front();
    REQUIRE(r.expertLoss.size() == static_cast<size_t>(ls.topK));

    // Independent: the real MoE block with expert j's down projection zeroed, against the intact block.
    std::optional<LayerCalibration> calibration;
    DecoderLayerWeights weights;
    ForwardOptions capture;
    capture.onLayer = [&](const LayerTrace& t) {
        if (t.layer == layer) {
            calibration = LayerCalibration{t.mlpInput, t.moe->logits, {blocks.size(1), blocks.size(1)}};
            weights = *t.weights;
        }
    };
    model->forward(blocks, {}, capture);
    REQUIRE(calibration);
    const auto full = moeForward(model->spec(), ls, *weights.moe, calibration->x);
    for (size_t j = 0; j < r.expertLoss.size(); ++j) {
        MoeWeights without = *weights.moe;
        without.experts[j].down.weight = torch::zeros_like(without.experts[j].down.weight);
        const auto perToken = (full - moeForward(model->spec(), ls, without, calibration->x)).pow(2).sum(-1);
        const double expected = perToken.narrow(0, 0, blocks.size(1)).sum().sqrt().item<double>()
            + perToken.narrow(0, blocks.size(1), blocks.size(1)).sum().sqrt().item<double>();
        INFO("expert ", r.expertIds[j]);
        CHECK(expected > 0);
        CHECK(r.expertLoss[j] == doctest::Approx(expected).epsilon(1e-9));
    }
}
