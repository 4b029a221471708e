// The GPU figures of issue #19 (docs/cuda.md), on any device (cuda:N, or cpu for a comparison or a
// smoke test), on a Qwen1.5-MoE-A2.7B-shaped model with random weights (d 2048, 60 routed experts of
// 1408, top-4 without renormalisation, a gated shared expert of 5632, 16 heads of 128 with q/k/v bias,
// vocab 151936) cut to `layers` decoder layers, or the demo shape (`shape=demo`) for a quick run:
//   1. bf16 and fp32 matmuls of the expert shape, same run (the yardstick);
//   2. fast-loss evaluations per second on one MoE layer (P = E/4, `tokens` calibration tokens);
//   3. forward tokens/s of the model in bf16 (resident on the device), against the bf16 matmul;
//   4. end-to-end MoE-I² on it in fp32: search inputs, genetic search (N 100, G 50) + KT (K 3, T 2)
//      at 25% of the routed experts, then the low-rank stage at rate 0.3; seconds per stage.
//   bench_gpu [device=cuda:0] [layers=2] [tokens=4096] [shape=a2.7b|demo]
// The checkpoint (fp32, about 3.6 GB a layer plus 2.5 GB of embeddings and head) is written to a
// temporary folder and removed at the end.
#include "core/analysis/fast_loss.h"
#include "core/io/model_spec.h"
#include "core/lowrank/decompose.h"
#include "core/model/moe_model.h"
#include "core/model/routing.h"
#include "core/plan/apply.h"
#include "core/search/model_search.h"
#include "core/search/search_inputs.h"
#include "core/train/demo_arch.h"
#include "core/train/init.h"
#include "core/util/runtime.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace moewb;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void sync(const torch::Device& device)
{
    if (device.is_cuda())
        torch::cuda::synchronize(device.index());
}

nlohmann::json benchConfig(const std::string& shape, int layers)
{
    auto c = demoConfig(DemoArch::Qwen);
    if (shape == "a2.7b")
        c.update({{"hidden_size", 2048}, {"intermediate_size", 5632}, {"moe_intermediate_size", 1408},
                  {"shared_expert_intermediate_size", 5632}, {"num_experts", 60}, {"num_experts_per_tok", 4},
                  {"num_attention_heads", 16}, {"num_key_value_heads", 16}, {"vocab_size", 151936},
                  {"max_position_embeddings", 8192}});
    else if (shape != "demo")
        throw std::runtime_error("shape must be a2.7b or demo");
    c["num_hidden_layers"] = layers;
    c["max_window_layers"] = layers;
    return c;
}

double matmulGflops(int64_t M, int64_t K, int64_t N, torch::ScalarType dtype, const torch::Device& device)
{
    auto x = torch::randn({M, K}, torch::TensorOptions(dtype).device(device));
    auto w = torch::randn({N, K}, torch::TensorOptions(dtype).device(device));
    torch::linear(x, w);
    sync(device);
    int reps = 0;
    const auto t0 = Clock::now();
    while (since(t0) < 1.0 || reps < 3) {
        torch::linear(x, w);
        ++reps;
        if (reps % 10 == 0)
            sync(device);
    }
    sync(device);
    return 2.0 * double(M) * double(K) * double(N) * reps / since(t0) / 1e9;
}

void fastLossBench(const ModelSpec& spec, const MoeModel& model, int64_t tokens, const torch::Device& device)
{
    const int layer = spec.moeLayerIndices().front();
    const auto weights = model.layer(layer);
    const auto& moe = *weights.moe;
    const int E = static_cast<int>(moe.experts.size()), P = E / 4;
    LayerCalibration cal;
    cal.x = torch::randn({tokens, spec.hiddenSize}, torch::TensorOptions(torch::kFloat).device(device));
    cal.logits = torch::linear(cal.x, moe.router);
    cal.batchSizes.assign(static_cast<size_t>(tokens / 512), 512);
    if (tokens % 512)
        cal.batchSizes.push_back(tokens % 512);
    const auto t0 = Clock::now();
    FastLayerLoss loss(spec, spec.layers[static_cast<size_t>(layer)], moe, cal, P);
    sync(device);
    const double precompute = since(t0);
    std::mt19937 rng(1);
    std::vector<int> ids = moe.expertIds;
    int evaluations = 0;
    double checksum = 0;
    const auto t1 = Clock::now();
    while (since(t1) < 3.0 || evaluations < 20) {
        std::shuffle(ids.begin(), ids.end(), rng);
        checksum += loss.loss(std::vector<int>(ids.begin(), ids.begin() + P));
        ++evaluations;
    }
    fmt::print("fast loss (layer {}, {} experts, P = {}, {} tokens, {} candidates/token): precompute {:.2f} s, "
               "{:.0f} evaluations/s (checksum {:.4g})\n",
               layer, E, P, tokens, loss.candidatesPerToken(), precompute, evaluations / since(t1), checksum);
}

void forwardBench(const ModelSpec& spec, const fs::path& dir, const torch::Device& device, double bf16Gflops)
{
    auto model = MoeModel::open(dir, ComputeOptions{torch::kBFloat16, device});
    model->makeResident();
    const int64_t B = 4, T = 1024;
    auto ids = torch::randint(spec.vocabSize, {B, T}, torch::TensorOptions(torch::kLong).device(device));
    torch::NoGradGuard noGrad;
    model->forward(ids);
    sync(device);
    int reps = 0;
    const auto t0 = Clock::now();
    while (since(t0) < 3.0 || reps < 2) {
        model->forward(ids);
        sync(device);
        ++reps;
    }
    const double seconds = since(t0) / reps;
    // Matmul FLOPs per token: attention projections, router, top-k + shared experts, head; plus scores.
    const auto& l = spec.layers[static_cast<size_t>(spec.moeLayerIndices().front())];
    const double d = spec.hiddenSize, qkv = double(spec.attention.numHeads) * spec.attention.headDim;
    const double perLayer = 2 * d * (4 * qkv) + 2 * d * l.numExperts + 2 * 3 * d * l.expertWidth * l.topK
        + 2 * 3 * d * l.shared.intermediateSize + 4.0 * qkv * T / 2;
    const double flops = double(B * T) * (spec.numLayers * perLayer + 2 * d * spec.vocabSize);
    fmt::print("forward bf16 ({} x {} tokens): {:.3f} s a pass, {:.0f} tokens/s, {:.1f} TFLOP/s = {:.2f} x the "
               "bf16 expert-shaped matmul\n",
               B, T, seconds, double(B * T) / seconds, flops / seconds / 1e12, flops / seconds / 1e9 / bf16Gflops);
}

void pipelineBench(const fs::path& dir, const torch::Device& device, int64_t tokens)
{
    auto model = MoeModel::open(dir, ComputeOptions{torch::kFloat, device});
    model->makeResident();
    const auto& spec = model->spec();
    const int64_t s = 512, n = std::max<int64_t>(1, tokens / s);
    auto ids = torch::randint(spec.vocabSize, {n, s}, torch::kLong);
    std::map<int, int> counts;
    for (int l : spec.moeLayerIndices())
        counts[l] = spec.layers[static_cast<size_t>(l)].numExperts / 4;
    auto t = Clock::now();
    const auto inputs = captureSearchInputs(*model, ids, counts, {spec.moeLayerIndices().front()});
    sync(device);
    const double capture = since(t);
    ModelSearchOptions o;  // N 100, G 50, K 3
    o.kt.blockSize = 2;
    t = Clock::now();
    const auto problems = layerProblems(inputs, counts);
    BlockInputFn blockInput = [&](int layer) {
        return inputs.layerInputs.count(layer) ? inputs.layerInputs.at(layer)
                                               : captureLayerInputs(*model, ids, {layer}).at(layer);
    };
    const auto search = searchModel(*model, problems, blockInput, o);
    sync(device);
    const double searchSeconds = since(t);
    auto pruned = MoeModel::open(dir, ComputeOptions{torch::kFloat, device});
    pruned->makeResident();
    applyPlan(*pruned, search.plan);
    DecomposeOptions d;
    d.rate = 0.3;
    t = Clock::now();
    const auto lowRank = decomposeExperts(*pruned, search.plan, ids, d);
    sync(device);
    fmt::print("MoE-I² end to end ({} MoE layers, {} x {} calibration tokens, 25% pruning + low rank 0.3): "
               "search inputs {:.1f} s, GA + KT {:.1f} s, low rank {:.1f} s ({} matrices factored)\n",
               counts.size(), n, s, capture, searchSeconds, since(t), lowRank.matrices.size());
}

} // namespace

int main(int argc, char** argv)
{
    const std::string deviceName = argc > 1 ? argv[1] : "cuda:0";
    const int layers = argc > 2 ? std::atoi(argv[2]) : 2;
    const int64_t tokens = argc > 3 ? std::atoll(argv[3]) : 4096;
    const std::string shape = argc > 4 ? argv[4] : "a2.7b";
    const auto info = initRuntime(0);
    const auto devices = availableDevices();
    if (std::find(devices.begin(), devices.end(), deviceName) == devices.end()) {
        fmt::print(stderr, "bench_gpu: device {} is not available (LibTorch {}; available: {})\n", deviceName,
                   info.torchVersion, fmt::join(devices, ", "));
        return 2;
    }
    const torch::Device device(deviceName);
    torch::manual_seed(0);
    fmt::print("LibTorch {}, device {}, {} CPU thread(s), shape {} with {} layer(s)\n", info.torchVersion, deviceName,
               info.threads, shape, layers);
    const fs::path dir = fs::temp_directory_path() / fmt::format("moewb-bench-gpu-{}", ::getpid());
    try {
        const auto config = benchConfig(shape, layers);
        const auto spec = parseModelSpec(config, "bench_gpu");
        const auto& l = spec.layers[static_cast<size_t>(spec.moeLayerIndices().front())];
        const double f32 = matmulGflops(tokens, spec.hiddenSize, l.expertWidth, torch::kFloat, device);
        const double b16 = matmulGflops(tokens, spec.hiddenSize, l.expertWidth, torch::kBFloat16, device);
        fmt::print("matmul [{} x {}] x [{} x {}]^T: fp32 {:.1f} GFLOP/s, bf16 {:.1f} GFLOP/s\n", tokens,
                   spec.hiddenSize, l.expertWidth, spec.hiddenSize, f32, b16);
        auto t = Clock::now();
        writeInitialCheckpoint(dir, config, 0, 0.1);
        fmt::print("random checkpoint written in {:.1f} s\n", since(t));
        {
            auto model = MoeModel::open(dir, ComputeOptions{torch::kFloat, device});
            fastLossBench(spec, *model, tokens, device);
        }
        forwardBench(spec, dir, device, b16);
        pipelineBench(dir, device, tokens);
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_gpu: {}\n", e.what());
        fs::remove_all(dir);
        return 1;
    }
    fs::remove_all(dir);
    return 0;
}
