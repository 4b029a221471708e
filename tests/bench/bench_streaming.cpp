// Streaming working set: a synthetic Mixtral-shaped checkpoint with 16 decoder layers is run layer
// by layer; RssAnon (anonymous memory, not mmap'd file pages) is sampled while each layer's weights
// are materialised and compared with the bytes of one layer.
//   bench_streaming [hidden=512] [expert_width=1536] [layers=16] [tokens=256]
#include "core/io/safetensors.h"
#include "core/model/moe_model.h"
#include "core/util/memory.h"
#include "core/util/runtime.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace moewb;

namespace {

struct Owned {
    std::vector<TensorToWrite> tensors;
    std::vector<torch::Tensor> keep;
    void add(const std::string& name, torch::Tensor t)
    {
        t = t.contiguous();
        keep.push_back(t);
        tensors.push_back({name, DType::BF16, t.sizes().vec(),
                           {reinterpret_cast<const std::byte*>(t.data_ptr()), static_cast<size_t>(t.nbytes())}});
    }
};

double mib(int64_t bytes) { return bytes / 1048576.0; }

} // namespace

int main(int argc, char** argv)
{
    const int d = argc > 1 ? std::atoi(argv[1]) : 512;
    const int f = argc > 2 ? std::atoi(argv[2]) : 1536;
    const int layers = argc > 3 ? std::atoi(argv[3]) : 16;
    const int tokens = argc > 4 ? std::atoi(argv[4]) : 128;
    const int experts = 8, heads = 8, kvHeads = 2, vocab = 1024;
    initRuntime(0);
    torch::manual_seed(0);

    const fs::path dir = fs::temp_directory_path() / fmt::format("moewb-bench-stream-{}", ::getpid());
    fs::create_directories(dir);
    nlohmann::json config = {{"architectures", {"MixtralForCausalLM"}}, {"model_type", "mixtral"},
                             {"hidden_size", d}, {"intermediate_size", f}, {"num_hidden_layers", layers},
                             {"num_attention_heads", heads}, {"num_key_value_heads", kvHeads},
                             {"num_local_experts", experts}, {"num_experts_per_tok", 2},
                             {"vocab_size", vocab}, {"max_position_embeddings", 4096},
                             {"rms_norm_eps", 1e-5}, {"rope_theta", 1e6}, {"tie_word_embeddings", false},
                             {"torch_dtype", "bfloat16"}};
    std::ofstream(dir / "config.json") << config.dump(2);

    const int hd = d / heads;
    // Generate in a child process: its allocations must not linger in this process's RssAnon.
    const pid_t child = ::fork();
    if (child == 0) {
        auto opts = torch::TensorOptions().dtype(torch::kBFloat16);
        Owned w;
        w.add("model.embed_tokens.weight", torch::randn({vocab, d}, opts) * 0.02);
        w.add("model.norm.weight", torch::ones({d}, opts));
        w.add("lm_head.weight", torch::randn({vocab, d}, opts) * 0.02);
        for (int i = 0; i < layers; ++i) {
            const std::string p = fmt::format("model.layers.{}.", i);
            const size_t before = w.keep.size();
            w.add(p + "input_layernorm.weight", torch::ones({d}, opts));
            w.add(p + "post_attention_layernorm.weight", torch::ones({d}, opts));
            w.add(p + "self_attn.q_proj.weight", torch::randn({heads * hd, d}, opts) * 0.02);
            w.add(p + "self_attn.k_proj.weight", torch::randn({kvHeads * hd, d}, opts) * 0.02);
            w.add(p + "self_attn.v_proj.weight", torch::randn({kvHeads * hd, d}, opts) * 0.02);
            w.add(p + "self_attn.o_proj.weight", torch::randn({d, heads * hd}, opts) * 0.02);
            w.add(p + "block_sparse_moe.gate.weight", torch::randn({experts, d}, opts) * 0.02);
            for (int e = 0; e < experts; ++e) {
                const std::string q = fmt::format("{}block_sparse_moe.experts.{}.", p, e);
                w.add(q + "w1.weight", torch::randn({f, d}, opts) * 0.02);
                w.add(q + "w3.weight", torch::randn({f, d}, opts) * 0.02);
                w.add(q + "w2.weight", torch::randn({d, f}, opts) * 0.02);
            }
            (void)before;
        }
        WriteOptions options;
        options.shardSizeBytes = 256ull << 20;
        writeCheckpointWeights(dir, w.tensors, options);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fmt::print(stderr, "checkpoint generation failed\n");
        return 1;
    }
    // One decoder layer's bytes as stored (bf16): norms, attention, router, experts.
    const int64_t layerBytes = 2 * (2LL * d + 2LL * heads * hd * d + 2LL * kvHeads * hd * d + experts * d +
                                    3LL * experts * d * f);
    int64_t checkpointBytes = 0;
    for (auto& entry : fs::directory_iterator(dir))
        checkpointBytes += static_cast<int64_t>(fs::file_size(entry.path()));

    // bf16 weights are computed in bf16 only where the CPU multiplies bf16 natively.
    ComputeOptions compute;
    compute.dtype = cpuHasFastBf16() ? torch::kBFloat16 : torch::kFloat;
    auto model = MoeModel::open(dir, compute);
    auto ids = torch::randint(vocab, {1, tokens}, torch::kInt64);
    const auto base = currentMemoryUsage();
    int64_t peakAnon = base.rssAnonBytes;
    ForwardOptions options;
    options.onLayer = [&](const LayerTrace&) { peakAnon = std::max(peakAnon, currentMemoryUsage().rssAnonBytes); };
    const auto start = std::chrono::steady_clock::now();
    model->forward(ids, {}, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto after = currentMemoryUsage();

    fmt::print("checkpoint: {} layers, {:.1f} MiB on disk; one decoder layer {:.1f} MiB (bf16)\n", layers,
               mib(checkpointBytes), mib(layerBytes));
    fmt::print("forward of {} tokens in {}: {:.2f} s\n", tokens, compute.dtype == torch::kFloat ? "fp32" : "bf16", seconds);
    fmt::print("RssAnon before forward {:.1f} MiB, peak during forward {:.1f} MiB, growth {:.1f} MiB "
               "= {:.2f} x one layer\n",
               mib(base.rssAnonBytes), mib(peakAnon), mib(peakAnon - base.rssAnonBytes),
               double(peakAnon - base.rssAnonBytes) / layerBytes);
    fmt::print("(fp32 compute materialises a bf16 layer at twice its stored size)\n");
    fmt::print("RssFile after forward {:.1f} MiB (mapped pages released per layer)\n", mib(after.rssFileBytes));
    fs::remove_all(dir);
    return 0;
}
