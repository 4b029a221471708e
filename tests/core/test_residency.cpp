// Resident or streamed weights (core/model/residency.h): the automatic rule by hand (half of the
// available memory on the CPU, always on a GPU), the forced choices, the compute-dtype byte count
// against the checkpoint's own sizes, and a model opened either way computes the same logits.
#include "core/io/error.h"
#include "core/model/residency.h"
#include "support/golden.h"

#include <doctest/doctest.h>
#include <torch/types.h>

using namespace moewb;

TEST_CASE("the automatic rule: resident when the weights fit in half of the available memory")
{
    const torch::Device cpu(torch::kCPU), gpu(torch::kCUDA, 0);
    const uint64_t gib = uint64_t{1} << 30;
    CHECK(decideResidency(Residency::Auto, 4 * gib, cpu, 8 * gib).resident);
    CHECK_FALSE(decideResidency(Residency::Auto, 4 * gib + 1, cpu, 8 * gib).resident);
    CHECK_FALSE(decideResidency(Residency::Auto, 1, cpu, 0).resident); // unknown: the safe choice
    CHECK(decideResidency(Residency::Auto, 100 * gib, gpu, 0).resident); // openModel falls back on out of memory
    CHECK(decideResidency(Residency::Resident, 100 * gib, cpu, gib).resident);
    CHECK_FALSE(decideResidency(Residency::Stream, 1, cpu, 100 * gib).resident);
    const auto why = decideResidency(Residency::Auto, 6 * gib, cpu, 8 * gib).reason;
    CHECK(why.find("6.00 GiB of weights exceed half of the 8.00 GiB available") != std::string::npos);
}

TEST_CASE("residency names")
{
    for (Residency r : {Residency::Auto, Residency::Resident, Residency::Stream})
        CHECK(parseResidency(residencyName(r)) == r);
    CHECK_THROWS_WITH_AS(parseResidency("streaming"), doctest::Contains("auto, resident or stream"), Error);
    CHECK(availableHostMemory() > 0); // Linux reports MemAvailable
}

TEST_CASE("compute bytes, and the same logits resident or streamed")
{
    test::GoldenSet g("mixtral"); // an fp32 checkpoint: its data bytes are the fp32 compute bytes
    auto streamed = openModel(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU}, Residency::Stream);
    const Checkpoint& c = streamed->checkpoint();
    uint64_t stored = 0;
    for (const auto& name : c.names()) {
        REQUIRE(c.info(name).dtype == DType::F32);
        stored += c.info(name).nbytes();
    }
    CHECK(computeBytes(c, torch::kFloat) == stored);
    CHECK(computeBytes(c, torch::kDouble) == 2 * stored);
    CHECK(computeBytes(c, torch::kBFloat16) == stored / 2);
    CHECK_FALSE(streamed->resident());
    ResidencyDecision d;
    auto resident = openModel(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU}, Residency::Auto, &d);
    CHECK(d.resident); // a few hundred KiB
    CHECK(resident->resident());
    const auto ids = g.tensor("input_ids_a");
    CHECK(torch::equal(streamed->forward(ids).logits, resident->forward(ids).logits));
    setDefaultResidency(Residency::Stream);
    CHECK_FALSE(openModel(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU})->resident());
    setDefaultResidency(Residency::Auto);
}
