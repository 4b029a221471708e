// The CUDA worker (label `cuda`): the same code on the GPU gives the CPU's answers. Forward passes of
// the golden models on cuda:0 against transformers' float64 reference and against the CPU, the fast
// loss of the MoE-I² search, the genetic search on it, both SVD factorisations, LoRA fine-tuning
// (also resumed from a checkpoint, dropout included) and CD-MoE's fine-tuning. Without a CUDA
// device (Debian's CPU LibTorch, or no GPU) every case prints "no CUDA device" and ctest reports the
// test as skipped (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt).
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/lowrank/svd.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/train/condense_finetune.h"
#include "core/train/lora.h"
#include "core/search/genetic.h"
#include "core/search/search_inputs.h"
#include "support/golden.h"
#include "support/lora_fixtures.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <torch/types.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <cstdio>
#include <filesystem>
#include <random>

using namespace moewb;
using moewb::test::GoldenSet;
using moewb::test::residentGolden;
using moewb::test::periodic;
using moewb::test::smallLoraRun;

namespace {

bool haveCuda()
{
    if (torch::cuda::is_available())
        return true;
    std::printf("no CUDA device: skipped\n");
    return false;
}

const torch::Device kGpu(torch::kCUDA, 0);

double maxAbs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

double maxDiffValid(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& valid)
{
    auto diff = std::get<0>((a.cpu().to(torch::kDouble) - b.cpu().to(torch::kDouble)).abs().max(-1));
    return diff.masked_select(valid).max().item<double>();
}

TokenBlocks demoCalibration(int64_t n, int64_t s)
{
    const auto dir = moewb::test::sourceDir() / "resources/demo";
    return loadTextBlocks(dir / "calib.txt", Tokenizer::fromFile(dir / "models/qwen/tokenizer.json"),
                          BlockOptions{n, s, BlockSelection::Random, 1});
}

void checkClose(const std::vector<double>& a, const std::vector<double>& b, double rel)
{
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i)
        CHECK(a[i] == doctest::Approx(b[i]).epsilon(rel));
}

} // namespace

TEST_CASE("golden forward on cuda:0 matches transformers and the CPU")
{
    if (!haveCuda())
        return;
    for (const char* name : {"mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2_lite", "deepseek_v2_group"}) {
        GoldenSet g(name);
        auto ids = g.tensor("input_ids_b");
        auto mask = g.tensor("attention_mask_b");
        auto valid = mask.to(torch::kBool);
        auto cpu = MoeModel::open(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU})->forward(ids, mask);
        auto gpuModel = MoeModel::open(g.dir(), ComputeOptions{torch::kFloat, kGpu});
        auto gpu = gpuModel->forward(ids.to(kGpu), mask.to(kGpu));
        REQUIRE(gpu.logits.device().is_cuda());
        auto ref = g.tensor("logits_b");
        INFO(name);
        CHECK(maxDiffValid(gpu.logits, ref, valid) <= 1e-4 * maxAbs(ref));
        CHECK(maxDiffValid(gpu.logits, cpu.logits, valid) <= 1e-4 * maxAbs(ref));
    }
}

TEST_CASE("fast loss and genetic search on cuda:0 agree with the CPU (Qwen demo)")
{
    if (!haveCuda())
        return;
    const auto dir = moewb::test::sourceDir() / "resources/demo/models/qwen";
    const auto blocks = demoCalibration(8, 64);
    auto cpuModel = MoeModel::open(dir, ComputeOptions{torch::kFloat, torch::kCPU});
    auto gpuModel = MoeModel::open(dir, ComputeOptions{torch::kFloat, kGpu});
    std::map<int, int> counts;
    for (int l : cpuModel->spec().moeLayerIndices())
        counts[l] = 4;
    const auto cpu = captureSearchInputs(*cpuModel, blocks.ids, counts, {});
    const auto gpu = captureSearchInputs(*gpuModel, blocks.ids.to(kGpu), counts, {});
    REQUIRE(cpu.fastLoss.size() == gpu.fastLoss.size());
    std::mt19937 rng(7);
    for (const auto& [layer, loss] : cpu.fastLoss) {
        const auto& experts = cpu.experts.at(layer);
        const auto& gpuLoss = *gpu.fastLoss.at(layer);
        for (int trial = 0; trial < 20; ++trial) {
            auto pool = experts;
            std::shuffle(pool.begin(), pool.end(), rng);
            std::vector<int> set(pool.begin(), pool.begin() + 1 + trial % 4);
            const double a = loss->loss(set), b = gpuLoss.loss(set);
            INFO("layer ", layer, " set size ", set.size(), ": cpu ", a, " gpu ", b);
            CHECK(std::abs(a - b) <= 1e-4 * std::max(1.0, std::abs(a)));
        }
        // The genetic search on the GPU's fitness lands on a set whose CPU fitness is as good.
        GeneticOptions o;
        o.population = 24;
        o.generations = 6;
        o.forceGenetic = true;
        const auto onCpu = searchLayer(experts, 4, [&](const std::vector<int>& s) { return loss->loss(s); }, o);
        const auto onGpu = searchLayer(experts, 4, [&](const std::vector<int>& s) { return gpuLoss.loss(s); }, o);
        const double cpuBest = onCpu.best.front().fitness, gpuBestOnCpu = loss->loss(onGpu.best.front().set);
        INFO("layer ", layer, ": GA best on cpu ", cpuBest, ", gpu's best set on cpu ", gpuBestOnCpu);
        CHECK(gpuBestOnCpu <= cpuBest * (1 + 1e-4) + 1e-9);
    }
}

TEST_CASE("plain and activation-aware SVD on cuda:0 agree with the CPU")
{
    if (!haveCuda())
        return;
    torch::manual_seed(3);
    auto w = torch::randn({48, 64}, torch::kDouble);
    auto x = torch::randn({256, 64}, torch::kDouble) * torch::linspace(0.1, 2.0, 64, torch::kDouble);
    auto gram = x.t().mm(x);
    for (int64_t rank : {4, 16, 48}) {
        auto [a, b] = plainSvdFactors(w, rank);
        auto [ga, gb] = plainSvdFactors(w.to(kGpu), rank);
        CHECK(ga.device().is_cuda());
        CHECK((a.mm(b) - ga.mm(gb).cpu()).abs().max().item<double>() <= 1e-9 * maxAbs(w));
        auto aware = activationAwareFactors(w, gram, 256, rank);
        auto gpuAware = activationAwareFactors(w.to(kGpu), gram.to(kGpu), 256, rank);
        const double cpuError = activationError(w, aware.a, aware.b, gram);
        const double gpuError = activationError(w, gpuAware.a.cpu(), gpuAware.b.cpu(), gram);
        INFO("rank ", rank, ": activation error cpu ", cpuError, " gpu ", gpuError);
        CHECK(std::abs(cpuError - gpuError) <= 1e-8 * std::max(1.0, cpuError));
    }
}

TEST_CASE("LoRA fine-tuning on cuda:0 follows the CPU run, and resumes from its checkpoint")
{
    if (!haveCuda())
        return;
    LoraOptions lo;
    lo.rank = 2;
    lo.dropout = 0.0; // CPU and GPU draw dropout masks from different generators
    auto run = [&](const torch::Device& device, const LoraOptions& l, const FinetuneOptions& fo,
                   const std::function<bool(const FinetuneReport&)>& onStep) {
        auto model = residentGolden("mixtral", ComputeOptions{torch::kDouble, device});
        auto adapters = attachLora(*model, l);
        REQUIRE(adapters.front().down.device() == device);
        auto result = finetuneLora(*model, adapters, periodic(800, 40), periodic(300, 40), fo, onStep);
        return std::pair{result, loraTensors(adapters, "x")};
    };
    const auto [cpu, cpuTensors] = run(torch::kCPU, lo, smallLoraRun(), {});
    const auto [gpu, gpuTensors] = run(kGpu, lo, smallLoraRun(), {});
    checkClose(gpu.losses, cpu.losses, 1e-8);
    REQUIRE(gpu.heldOut.size() == cpu.heldOut.size());
    for (size_t i = 0; i < cpu.heldOut.size(); ++i)
        CHECK(gpu.heldOut[i].second == doctest::Approx(cpu.heldOut[i].second).epsilon(1e-8));
    for (const auto& [name, t] : cpuTensors) {
        INFO(name);
        CHECK(gpuTensors.at(name).device().is_cpu()); // what goes to the session is on the host
        CHECK((gpuTensors.at(name) - t).abs().max().item<double>() <= 1e-5 * std::max(1e-3, maxAbs(t)));
    }
    // With dropout the GPU's generator state travels with the checkpoint: interrupted after step 3
    // and resumed, the run ends where an uninterrupted one does (to rounding: CUDA's index_add sums
    // in no fixed order).
    lo.dropout = 0.1;
    const auto [whole, wholeTensors] = run(kGpu, lo, smallLoraRun(), {});
    test::TempDir dir;
    FinetuneOptions fo = smallLoraRun();
    fo.checkpoint = dir.path / "checkpoint.pt";
    fo.checkpointEvery = 2;
    fo.resume = true;
    CHECK_THROWS_AS(run(kGpu, lo, fo, [](const FinetuneReport& r) { return r.step < 3; }), Cancelled);
    REQUIRE(std::filesystem::exists(fo.checkpoint));
    const auto [resumed, resumedTensors] = run(kGpu, lo, fo, {});
    CHECK(resumed.resumedFromStep == 3);
    checkClose(resumed.losses, whole.losses, 1e-10);
    for (const auto& [name, t] : wholeTensors)
        CHECK((resumedTensors.at(name) - t).abs().max().item<double>() <= 1e-8 * std::max(1e-3, maxAbs(t)));
}

TEST_CASE("CD-MoE fine-tuning on cuda:0 follows the CPU run")
{
    if (!haveCuda())
        return;
    auto run = [&](const torch::Device& device) {
        auto model = residentGolden("qwen2_moe", ComputeOptions{torch::kDouble, device});
        const int layer = model->spec().moeLayerIndices().back();
        applyPlan(*model, Plan{"cd", "cd-moe", {}, {CondenseLayer{layer, {3, 1}, {0.3, 0.2}}}});
        CondenseFinetuneOptions fo;
        fo.steps = 5;
        fo.batchSize = 3;
        fo.seqLen = 16;
        fo.lr = 3e-2;
        fo.warmupSteps = 1;
        return finetuneCondensed(*model, {layer}, periodic(4 * 17 + 9, model->spec().vocabSize), fo);
    };
    const auto cpu = run(torch::kCPU);
    const auto gpu = run(kGpu);
    checkClose(gpu.losses, cpu.losses, 1e-8);
    REQUIRE(gpu.deltas.size() == cpu.deltas.size());
    for (const auto& [name, d] : cpu.deltas) {
        INFO(name);
        CHECK(gpu.deltas.at(name).device().is_cpu());
        CHECK((gpu.deltas.at(name) - d).abs().max().item<double>() <= 1e-5 * std::max(1e-3, maxAbs(d)));
    }
}
