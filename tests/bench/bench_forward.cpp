// Forward throughput: tokens/s and achieved GFLOP/s of (1) a small synthetic Mixtral-style model run
// through the evaluation code (perplexity over blocks), streamed and resident, and (2) one
// Mixtral-8x7B-shaped decoder layer (d 4096, experts 8 x 14336, top-2, 32/8 heads of 128) built in
// memory and run with the model's own parts (Attention, rmsNorm, moeForward), next to plain fp32 and
// bf16 matmuls of its shapes measured in the same run. Peak RssAnon is sampled every 5 ms.
//   bench_forward [layer_tokens=256] [layer_experts=8] [small_tokens=1024]
// layer_experts < 8 keeps the Mixtral shapes with fewer experts (less memory; routing stays top-2);
// layer_tokens = 0 skips the layer.
// FLOPs count the matmuls as executed: projections, router, the top-k experts of every token
// (3 matmuls of d x f each), attention scores and values over the full T x T (the causal mask is
// applied after the product), and the LM head; norms, RoPE and softmax are not counted.
#include "core/eval/perplexity.h"
#include "core/eval/run_meter.h"
#include "core/io/safetensors.h"
#include "core/model/moe_model.h"
#include "core/model/ops.h"
#include "core/util/memory.h"
#include "core/util/runtime.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace moewb;

namespace {

struct Shape {
    int64_t d, f, experts, topK, heads, kvHeads, headDim, vocab, layers;
};

double mib(int64_t bytes)
{
    return bytes / 1048576.0;
}

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// FLOPs of one decoder layer on B rows of T tokens.
double layerFlops(const Shape& s, int64_t B, int64_t T)
{
    const double tokens = double(B * T);
    const double proj = 2.0 * tokens * s.d * (s.heads * s.headDim + 2 * s.kvHeads * s.headDim)
        + 2.0 * tokens * s.heads * s.headDim * s.d;
    const double scores = 2.0 * 2.0 * double(B) * s.heads * s.headDim * double(T) * double(T);
    const double router = 2.0 * tokens * s.d * s.experts;
    const double experts = tokens * double(s.topK) * 3.0 * 2.0 * s.d * s.f;
    return proj + scores + router + experts;
}

// Median time of `fn` over reps (after one warm-up), at least minReps and until ~budget seconds.
template <typename F> double medianSeconds(F&& fn, int minReps = 3, double budget = 2.0)
{
    fn();
    std::vector<double> times;
    const auto start = std::chrono::steady_clock::now();
    while (static_cast<int>(times.size()) < minReps || (seconds(start) < budget && times.size() < 50)) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        times.push_back(seconds(t0));
        if (seconds(start) > 4 * budget)
            break;
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// GFLOP/s of y = x W^T (torch::linear, as the model calls it), x [M, K], W [N, K].
double matmulGflops(int64_t M, int64_t K, int64_t N, torch::ScalarType dtype)
{
    auto x = torch::randn({M, K}).to(dtype);
    auto w = torch::randn({N, K}).to(dtype);
    const double t = medianSeconds([&] { (void)torch::linear(x, w); }, dtype == torch::kBFloat16 ? 2 : 3);
    return 2.0 * double(M) * double(K) * double(N) / t / 1e9;
}

nlohmann::json mixtralConfig(const Shape& s)
{
    return {{"architectures", {"MixtralForCausalLM"}}, {"model_type", "mixtral"}, {"hidden_size", s.d},
        {"intermediate_size", s.f}, {"num_hidden_layers", s.layers}, {"num_attention_heads", s.heads},
        {"num_key_value_heads", s.kvHeads}, {"head_dim", s.headDim}, {"num_local_experts", s.experts},
        {"num_experts_per_tok", s.topK}, {"vocab_size", s.vocab}, {"max_position_embeddings", 4096},
        {"rms_norm_eps", 1e-5}, {"rope_theta", 1e6}, {"tie_word_embeddings", false},
        {"torch_dtype", "float32"}};
}

struct Writer {
    std::vector<TensorToWrite> tensors;
    std::vector<torch::Tensor> keep;
    void add(const std::string& name, torch::Tensor t)
    {
        t = t.contiguous();
        keep.push_back(t);
        tensors.push_back({name, DType::F32, t.sizes().vec(),
            {reinterpret_cast<const std::byte*>(t.data_ptr()), static_cast<size_t>(t.nbytes())}});
    }
};

torch::Tensor scaled(std::vector<int64_t> shape, double fanIn)
{
    return torch::randn(shape).div_(std::sqrt(fanIn));
}

// A checkpoint of the small model.
void writeModel(const fs::path& dir, const Shape& s)
{
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << mixtralConfig(s).dump(2);
    Writer w;
    w.add("model.embed_tokens.weight", torch::randn({s.vocab, s.d}));
    w.add("model.norm.weight", torch::ones({s.d}));
    w.add("lm_head.weight", scaled({s.vocab, s.d}, double(s.d)));
    for (int64_t i = 0; i < s.layers; ++i) {
        const std::string p = fmt::format("model.layers.{}.", i);
        w.add(p + "input_layernorm.weight", torch::ones({s.d}));
        w.add(p + "post_attention_layernorm.weight", torch::ones({s.d}));
        w.add(p + "self_attn.q_proj.weight", scaled({s.heads * s.headDim, s.d}, double(s.d)));
        w.add(p + "self_attn.k_proj.weight", scaled({s.kvHeads * s.headDim, s.d}, double(s.d)));
        w.add(p + "self_attn.v_proj.weight", scaled({s.kvHeads * s.headDim, s.d}, double(s.d)));
        w.add(p + "self_attn.o_proj.weight", scaled({s.d, s.heads * s.headDim}, double(s.heads * s.headDim)));
        w.add(p + "block_sparse_moe.gate.weight", scaled({s.experts, s.d}, 1.0));
        for (int64_t e = 0; e < s.experts; ++e) {
            const std::string q = fmt::format("{}block_sparse_moe.experts.{}.", p, e);
            w.add(q + "w1.weight", scaled({s.f, s.d}, double(s.d)));
            w.add(q + "w3.weight", scaled({s.f, s.d}, double(s.d)));
            w.add(q + "w2.weight", scaled({s.d, s.f}, double(s.f)));
        }
    }
    writeCheckpointWeights(dir, w.tensors);
}

Linear linear(std::vector<int64_t> shape, double fanIn)
{
    Linear l;
    l.weight = scaled(std::move(shape), fanIn);
    return l;
}

DecoderLayerWeights mixtralLayer(const Shape& s)
{
    DecoderLayerWeights w;
    w.index = 0;
    w.inputNorm = torch::ones({s.d});
    w.postAttentionNorm = torch::ones({s.d});
    w.attention.q = linear({s.heads * s.headDim, s.d}, double(s.d));
    w.attention.k = linear({s.kvHeads * s.headDim, s.d}, double(s.d));
    w.attention.v = linear({s.kvHeads * s.headDim, s.d}, double(s.d));
    w.attention.o = linear({s.d, s.heads * s.headDim}, double(s.heads * s.headDim));
    MoeWeights moe;
    moe.router = scaled({s.experts, s.d}, 1.0);
    for (int64_t e = 0; e < s.experts; ++e) {
        moe.experts.push_back(SwiGlu{linear({s.f, s.d}, double(s.d)), linear({s.f, s.d}, double(s.d)),
            linear({s.d, s.f}, double(s.f))});
        moe.expertIds.push_back(static_cast<int>(e));
    }
    w.moe = std::move(moe);
    return w;
}

void smallModel(const fs::path& dir, int64_t tokens)
{
    const Shape s{512, 1408, 8, 2, 8, 2, 64, 8192, 4};
    writeModel(dir, s);
    auto model = MoeModel::open(dir, ComputeOptions{torch::kFloat, torch::kCPU});
    const int64_t T = 256, B = std::max<int64_t>(1, tokens / T);
    auto blocks = torch::randint(s.vocab, {B, T}, torch::kInt64);
    const double flops = double(s.layers) * layerFlops(s, B, T) + 2.0 * double(B * T) * s.d * s.vocab;
    fmt::print("small model: d {}, {} layers, {} experts x {} (top-{}), {}/{} heads of {}, vocab {}; fp32\n",
        s.d, s.layers, s.experts, s.f, s.topK, s.heads, s.kvHeads, s.headDim, s.vocab);
    fmt::print("  {} blocks of {} tokens per pass, {:.2f} GFLOP per pass\n", B, T, flops / 1e9);
    EvalOptions options;
    options.batchTokens = B * T;
    for (const bool resident : {false, true}) {
        if (resident)
            model->makeResident();
        perplexity(modelLogits(*model), blocks, options); // warm-up
        std::vector<double> times;
        RunStats last;
        for (int rep = 0; rep < 3; ++rep) {
            last = perplexity(modelLogits(*model), blocks, options).run;
            times.push_back(last.seconds);
        }
        std::sort(times.begin(), times.end());
        const double t = times[1];
        fmt::print(
            "  {:<9} {:8.1f} tokens/s  {:6.1f} GFLOP/s  (median of 3: {:.3f} s; peak RssAnon {:.0f} MiB)\n",
            resident ? "resident" : "streamed", double(B * T) / t, flops / t / 1e9, t,
            mib(last.peakRssAnonBytes));
    }
}

void mixtralLayerBench(int64_t T, int64_t experts)
{
    const Shape s{4096, 14336, experts, 2, 32, 8, 128, 256, 1};
    const int64_t perExpert = std::max<int64_t>(1, T * s.topK / s.experts);
    fmt::print("\nmatmuls, y = x W^T (torch::linear, as the model calls it), same run:\n");
    struct Mm {
        const char* what;
        int64_t M, K, N;
    };
    double fp32Expert = 0;
    for (const Mm& mm : {Mm{"square 1024", 1024, 1024, 1024}, Mm{"q/o projection", T, s.d, s.d},
             Mm{"expert up (tokens/expert)", perExpert, s.d, s.f}}) {
        const double f32 = matmulGflops(mm.M, mm.K, mm.N, torch::kFloat);
        const double b16 = matmulGflops(mm.M, mm.K, mm.N, torch::kBFloat16);
        if (mm.M == perExpert && mm.N == s.f)
            fp32Expert = f32;
        fmt::print("  {:<26} [{} x {}] x [{} x {}]^T: fp32 {:7.1f} GFLOP/s, bf16 {:7.1f} GFLOP/s\n", mm.what,
            mm.M, mm.K, mm.N, mm.K, f32, b16);
    }

    // The layer is built in memory and run with the model's own parts (Attention, rmsNorm,
    // moeForward) in MoeModel::runLayer's order: a checkpoint of it would be 5.6 GB on disk, and
    // MoeModel::open checks every tensor of the config is stored.
    const ModelSpec spec = parseModelSpec(mixtralConfig(s), "bench Mixtral layer");
    const Attention attention(spec);
    const double eps = spec.rmsNormEps;
    const int64_t before = currentMemoryUsage().rssAnonBytes;
    const auto build = std::chrono::steady_clock::now();
    const auto layer = mixtralLayer(s);
    const int64_t weights = currentMemoryUsage().rssAnonBytes - before;
    fmt::print(
        "\nMixtral-shaped layer: d {}, {} experts x {} (top-{}), {}/{} heads of {}; fp32 weights {:.0f} MiB "
        "(built in {:.1f} s)\n",
        s.d, s.experts, s.f, s.topK, s.heads, s.kvHeads, s.headDim, mib(weights), seconds(build));
    auto x = torch::randn({1, T, s.d});
    const auto ctx = attention.context({}, 1, T, torch::kFloat, torch::kCPU);
    torch::NoGradGuard noGrad;
    double attnSeconds = 0, moeSeconds = 0;
    auto runLayer = [&] {
        const auto t0 = std::chrono::steady_clock::now();
        auto h = x + attention.forward(layer.attention, rmsNorm(x, layer.inputNorm, eps), ctx);
        const auto t1 = std::chrono::steady_clock::now();
        auto normed = rmsNorm(h, layer.postAttentionNorm, eps).reshape({T, s.d});
        auto y = h + moeForward(spec, spec.layers[0], *layer.moe, normed).view({1, T, s.d});
        attnSeconds = std::chrono::duration<double>(t1 - t0).count();
        moeSeconds = seconds(t1);
        return y;
    };
    RunMeter meter;
    const double t = medianSeconds([&] { (void)runLayer(); }, 3, 3.0);
    const auto run = meter.finish();
    const double flops = layerFlops(s, 1, T);
    const double expertFlops = double(T * s.topK) * 6.0 * s.d * s.f;
    const double gflops = flops / t / 1e9;
    fmt::print("  {} tokens: {:.3f} s (median), {:.1f} tokens/s, {:.1f} GFLOP/s = {:.2f} x the fp32 "
               "expert-shaped matmul\n",
        T, t, double(T) / t, gflops, gflops / fp32Expert);
    fmt::print("  last run: attention {:.3f} s, MoE block {:.3f} s ({:.1f} GFLOP/s in the experts)\n",
        attnSeconds, moeSeconds, expertFlops / moeSeconds / 1e9);
    fmt::print("  {:.2f} GFLOP per pass ({:.0f}% in experts); peak RssAnon {:.0f} MiB (weights {:.0f} MiB)\n",
        flops / 1e9, 100.0 * expertFlops / flops, mib(run.peakRssAnonBytes), mib(weights));
}

} // namespace

int main(int argc, char** argv)
{
    const int64_t layerTokens = argc > 1 ? std::atoll(argv[1]) : 256;
    const int64_t layerExperts = argc > 2 ? std::atoll(argv[2]) : 8;
    const int64_t smallTokens = argc > 3 ? std::atoll(argv[3]) : 1024;
    const auto info = initRuntime(0);
    torch::manual_seed(0);
    fmt::print("LibTorch {}, {} thread(s), AVX512-BF16/AMX: {}\n\n", info.torchVersion, info.threads,
        cpuHasFastBf16() ? "yes" : "no");
    const fs::path dir = fs::temp_directory_path() / fmt::format("moewb-bench-forward-{}", ::getpid());
    try {
        smallModel(dir / "small", smallTokens);
        if (layerTokens > 0)
            mixtralLayerBench(layerTokens, layerExperts);
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_forward: {}\n", e.what());
        fs::remove_all(dir);
        return 1;
    }
    fmt::print("\npeak RSS of the process (VmHWM, includes mapped files) {:.0f} MiB\n",
        mib(currentMemoryUsage().peakRssBytes));
    fs::remove_all(dir);
    return 0;
}
