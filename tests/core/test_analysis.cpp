// The calibration pass and the analysis stage into a session: captures equal what the model's own
// forward sees (chunked or not, original or sequentially pruned inputs), results are cached and reused,
// block inputs round-trip through the session, and a cancel stops at once leaving a valid session.
#include "core/analysis/calibration.h"
#include "core/analysis/session_analysis.h"
#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"
#include "support/errors.h"
#include "support/golden.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <numeric>

using namespace moewb;
using moewb::test::errorOf;
using moewb::test::GoldenSet;
using moewb::test::TempDir;

namespace {

std::map<int, LayerTrace> forwardTraces(const MoeModel& model, const torch::Tensor& ids,
                                        std::map<int, LayerOverride> overrides = {})
{
    std::map<int, LayerTrace> traces;
    ForwardOptions options;
    options.overrides = std::move(overrides);
    options.onLayer = [&](const LayerTrace& t) { traces[t.layer] = t; };
    model.forward(ids, {}, options);
    return traces;
}

std::string readFileBytes(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A token stream of 256-token byte ids cut into n blocks of s, drawn with `seed`.
TokenBlocks streamBlocks(int64_t n, int64_t s, uint64_t seed)
{
    std::vector<int32_t> stream(static_cast<size_t>(4 * n * s));
    for (size_t i = 0; i < stream.size(); ++i)
        stream[i] = static_cast<int32_t>((i * 37 + i / 7) % 256);
    return makeBlocks(stream, {n, s, BlockSelection::Random, seed}, "stream");
}

} // namespace

TEST_CASE("captures equal the model's own forward, in one chunk or many")
{
    GoldenSet g("qwen2_moe");  // a dense layer between MoE layers, shared experts
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const auto ids = g.tensor("input_ids_a");
    const auto traces = forwardTraces(*model, ids);
    for (int64_t batchTokens : {int64_t{1} << 20, int64_t{1}}) {  // everything at once; a block at a time
        CAPTURE(batchTokens);
        std::vector<int> seen;
        CalibrationOptions options;
        options.batchTokens = batchTokens;
        options.onLayer = [&](const LayerCapture& c) {
            seen.push_back(c.layer);
            const auto& t = traces.at(c.layer);
            CHECK(c.moeIndex == static_cast<int>(seen.size()) - 1);
            CHECK(torch::allclose(c.blockInput, t.input, 0, 1e-12));
            CHECK(torch::allclose(c.moe.x, t.mlpInput, 0, 1e-12));
            CHECK(torch::allclose(c.moe.logits, t.moe->logits, 0, 1e-12));
            CHECK(c.moe.batchSizes == std::vector<int64_t>(static_cast<size_t>(ids.size(0)), ids.size(1)));
            const auto expected = routingStats(t.moe->routing, static_cast<int64_t>(c.weights->moe->experts.size()));
            for (size_t e = 0; e < expected.selectionFrequency.size(); ++e) {
                CHECK(c.routing.selectionFrequency[e] == doctest::Approx(expected.selectionFrequency[e]));
                CHECK(c.routing.meanGateWeight[e] == doctest::Approx(expected.meanGateWeight[e]));
                CHECK(c.routing.softmaxMass[e] == doctest::Approx(expected.softmaxMass[e]));
            }
        };
        runCalibration(*model, ids, options);
        CHECK(seen == model->spec().moeLayerIndices());
    }
}

TEST_CASE("sequential: each layer's inputs come from the already-pruned prefix")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kDouble, torch::kCPU});
    const auto ids = g.tensor("input_ids_a");
    const std::vector<int> removed0 = {1, 4}, removed1 = {0};
    const auto pruned = forwardTraces(*model, ids, {{0, {removed0}}, {1, {removed1}}});
    const auto original = forwardTraces(*model, ids);
    CalibrationOptions options;
    options.batchTokens = ids.size(1);  // chunked, so the pruned rerun is chunked too
    options.pruneLayer = [&](const LayerCapture& c) {
        return LayerOverride{c.layer == 0 ? removed0 : c.layer == 1 ? removed1 : std::vector<int>{}};
    };
    std::map<int, torch::Tensor> inputs;
    options.onLayer = [&](const LayerCapture& c) { inputs[c.layer] = c.blockInput; };
    runCalibration(*model, ids, options);
    REQUIRE(inputs.size() == 3);
    CHECK(torch::equal(inputs[0], original.at(0).input));
    for (int layer : {1, 2}) {
        CHECK(torch::allclose(inputs[layer], pruned.at(layer).input, 0, 1e-12));
        CHECK_FALSE(torch::allclose(inputs[layer], original.at(layer).input, 0, 1e-6));
    }

    // Without pruneLayer the same pass gives the original inputs (captureBlockInputs keeps chosen ones).
    const auto kept = captureBlockInputs(*model, ids, {2});
    CHECK(kept.byLayer.size() == 1);
    CHECK(torch::equal(kept.at(2), original.at(2).input));
    CHECK_THROWS_WITH_AS(kept.at(1), "no block input was captured for layer 1", Error);
}

TEST_CASE("analysis into a session: computed once, reused, reallocated, recomputed for other data")
{
    GoldenSet g("qwen2_moe");
    auto model = MoeModel::open(g.dir());
    TempDir dir;
    const auto file = dir.path / "S.h5";
    const auto blocks = streamBlocks(3, 16, 7);
    const auto moeLayers = model->spec().moeLayerIndices();
    resetComputeCounts();

    Session session;
    SessionAnalysisOptions options;
    options.ratio = 0.25;
    const auto first = analyzeIntoSession(*model, blocks, session, file, options);
    CHECK_FALSE(first.reused);
    CHECK(computeCount("importance") == 1);
    CHECK(first.blockInputsStored == static_cast<int>(moeLayers.size()));

    Session reopened = Session::open(file);
    REQUIRE(reopened.importance());
    CHECK(reopened.importance()->layers == moeLayers);
    CHECK(reopened.routerStats()->layers == moeLayers);
    CHECK(reopened.calibration()->dataHash == blocks.dataHash);
    CHECK(reopened.calibration()->seed == 7);
    CHECK(reopened.source()->identityHash == model->checkpoint().identityHash());
    REQUIRE(reopened.allocation());
    CHECK(reopened.allocation()->counts == first.allocation.counts);
    CHECK(std::accumulate(first.allocation.counts.begin(), first.allocation.counts.end(), 0) == first.allocation.requested);
    for (size_t r = 0; r < moeLayers.size(); ++r)
        CHECK(reopened.importance()->layerImportance[r] == first.layers[r].importance);
    CHECK(storedBlockInputLayers(reopened) == moeLayers);
    const auto inputs = captureBlockInputs(*model, blocks.ids);
    for (int layer : moeLayers)
        CHECK(torch::equal(loadBlockInput(reopened, layer), inputs.at(layer).to(torch::kFloat)));

    // Same model and data: nothing recomputed; a new ratio and an override only reallocate.
    options.ratio = 0.5;
    options.overrides = {{moeLayers.front(), 0}};
    const auto second = analyzeIntoSession(*model, blocks, reopened, file, options);
    CHECK(second.reused);
    CHECK(computeCount("importance") == 1);
    CHECK(second.allocation.counts.front() == 0);
    CHECK(Session::open(file).allocation()->overridden.front() == 1);
    CHECK(Session::open(file).allocation()->ratio == 0.5);
    CHECK(second.layers[1].expertLoss == first.layers[1].expertLoss);
    SessionAnalysisOptions dense;
    dense.overrides = {{2, 1}};  // layer 2 of qwen2_moe is a dense MLP
    CHECK_THROWS_WITH_AS(analyzeIntoSession(*model, blocks, reopened, file, dense),
                         "pruning count override for layer 2: not a MoE layer of this model", Error);

    // Other calibration data: the cached sections are dropped and computed again.
    const auto third = analyzeIntoSession(*model, streamBlocks(3, 16, 8), reopened, file, {});
    CHECK_FALSE(third.reused);
    CHECK(computeCount("importance") == 2);
    CHECK(std::find(third.dropped.begin(), third.dropped.end(), "importance") != third.dropped.end());

    // Another model: refused before anything changes (the file keeps its bytes, the session its plans).
    GoldenSet other("mixtral");
    auto otherModel = MoeModel::open(other.dir());
    reopened.setPlan(Plan{"kept", "moe-i2", nlohmann::json::object(), {}});
    reopened.save(file);
    const auto bytes = readFileBytes(file);
    const std::string error = errorOf([&] { analyzeIntoSession(*otherModel, blocks, reopened, file, {}); });
    CHECK(error.find(fmt::format("{}: not the checkpoint {} was made from, which is {}", otherModel->path().string(),
                                 file.string(), model->path().string()))
          == 0);
    CHECK(error.find("use another session file") != std::string::npos);
    CHECK(readFileBytes(file) == bytes);
    CHECK(reopened.plans().count("kept") == 1);
    CHECK(reopened.source()->identityHash == model->checkpoint().identityHash());
    CHECK_THROWS_AS(bindSession(reopened, *otherModel, blocks), Error);

    // No room for block inputs: none stored, the rest as before.
    Session small;
    SessionAnalysisOptions none;
    none.maxBlockInputBytes = 0;
    CHECK(analyzeIntoSession(*model, blocks, small, dir.path / "small.h5", none).blockInputsStored == 0);
    CHECK(storedBlockInputLayers(Session::open(dir.path / "small.h5")).empty());
}

TEST_CASE("a cancel during the calibration pass stops at once and leaves a valid session")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir());
    TempDir dir;
    const auto file = dir.path / "S.h5";
    const auto blocks = streamBlocks(48, 64, 1);
    SessionAnalysisOptions options;
    options.batchTokens = 64;  // a progress call after every block of every layer
    int calls = 0;
    std::chrono::steady_clock::time_point cancelledAt;
    options.progress = [&](double) {
        if (++calls < 60)
            return true;
        cancelledAt = std::chrono::steady_clock::now();
        return false;
    };
    Session session;
    CHECK_THROWS_AS(analyzeIntoSession(*model, blocks, session, file, options), Cancelled);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - cancelledAt).count();
    CHECK(calls == 60);
    CHECK(seconds < 1.0);

    const Session onDisk = Session::open(file);
    CHECK(onDisk.calibration()->dataHash == blocks.dataHash);
    CHECK(onDisk.source()->identityHash == model->checkpoint().identityHash());
    CHECK_FALSE(onDisk.importance().has_value());
    CHECK_FALSE(onDisk.routerStats().has_value());
    CHECK(onDisk.activationNames().empty());
    CHECK_NOTHROW(onDisk.verify());

    // The next run completes from the saved state.
    Session resumed = Session::open(file);
    options.progress = {};
    CHECK_FALSE(analyzeIntoSession(*model, blocks, resumed, file, options).reused);
    CHECK(Session::open(file).importance()->layers == model->spec().moeLayerIndices());
}
