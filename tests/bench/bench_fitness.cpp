// Fitness evaluations per second of a MoE layer's reconstruction loss (methods.md §1.1), three ways,
// on one layer with random weights and random calibration inputs:
//   fast    FastLayerLoss: per-token Gram matrices over each token's top-(k+P) experts (exact);
//   cached  the expert outputs on each token's candidates kept in memory: re-route, combine, norm;
//   rerun   the real MoE block with the experts masked (the unpruned output cached once).
// Shapes: Mixtral-8x7B (d 4096, f 14336, E 8, top-2, softmax + renormalise) and Qwen1.5-MoE-A2.7B
// (d 2048, f 1408, E 60, top-4, softmax without renormalising; its shared expert cancels in the
// difference and is left out). P = round(E / 4): the size of the removal sets evaluated.
// Also: the precompute cost of fast and cached, agreement of the three, and peak RssAnon.
//   bench_fitness [tokens=4096] [shapes=mixtral,qwen] [rerun_evals=2]
// Fewer tokens than 4096 do not extrapolate: a rerun on few tokens is bound by reading the weights,
// and fixed per-call costs dominate the fast loss; run the 4096 tokens for the figures.
#include "core/analysis/fast_loss.h"
#include "core/io/model_spec.h"
#include "core/model/moe_block.h"
#include "core/model/routing.h"
#include "core/util/memory.h"
#include "core/util/runtime.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

using namespace moewb;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

nlohmann::json configOf(const std::string& shape)
{
    if (shape == "mixtral")
        return {{"architectures", {"MixtralForCausalLM"}}, {"model_type", "mixtral"}, {"hidden_size", 4096},
                {"intermediate_size", 14336}, {"num_hidden_layers", 1}, {"num_attention_heads", 32},
                {"num_key_value_heads", 8}, {"num_local_experts", 8}, {"num_experts_per_tok", 2},
                {"vocab_size", 32000}, {"max_position_embeddings", 4096}, {"torch_dtype", "float32"}};
    return {{"architectures", {"Qwen2MoeForCausalLM"}}, {"model_type", "qwen2_moe"}, {"hidden_size", 2048},
            {"intermediate_size", 5632}, {"moe_intermediate_size", 1408}, {"shared_expert_intermediate_size", 5632},
            {"num_hidden_layers", 1}, {"num_attention_heads", 16}, {"num_key_value_heads", 16},
            {"num_experts", 60}, {"num_experts_per_tok", 4}, {"norm_topk_prob", false}, {"decoder_sparse_step", 1},
            {"vocab_size", 151936}, {"max_position_embeddings", 8192}, {"torch_dtype", "float32"}};
}

torch::Tensor scaled(std::vector<int64_t> shape, double fanIn)
{
    return torch::randn(shape).div_(std::sqrt(fanIn));
}

MoeWeights randomMoe(int64_t d, int64_t f, int64_t experts)
{
    MoeWeights w;
    w.router = scaled({experts, d}, double(d));
    for (int64_t e = 0; e < experts; ++e) {
        SwiGlu s;
        s.gate.weight = scaled({f, d}, double(d));
        s.up.weight = scaled({f, d}, double(d));
        s.down.weight = scaled({d, f}, double(f));
        w.experts.push_back(std::move(s));
        w.expertIds.push_back(static_cast<int>(e));
    }
    return w;
}

// Expert outputs on each token's top-c experts by logit: [N, c, d], and those experts [N, c].
std::pair<torch::Tensor, torch::Tensor> candidateOutputs(const MoeWeights& w, const torch::Tensor& x,
                                                         const torch::Tensor& logits, int64_t c)
{
    auto candidates = std::get<1>(logits.topk(c, -1, true, true));
    auto o = torch::zeros({x.size(0), c, x.size(1)}, x.options());
    for (int64_t e = 0; e < static_cast<int64_t>(w.experts.size()); ++e) {
        auto where = (candidates == e).nonzero();
        if (where.size(0) == 0)
            continue;
        auto tokens = where.select(1, 0);
        o.index_put_({tokens, where.select(1, 1)}, w.experts[static_cast<size_t>(e)](x.index_select(0, tokens)));
    }
    return {o, candidates};
}

torch::Tensor maskOf(const std::vector<int>& removed, int64_t experts)
{
    auto mask = torch::zeros({experts}, torch::kBool);
    for (int e : removed)
        mask[e] = true;
    return mask;
}

double batchedLoss(const torch::Tensor& perToken, int64_t batchTokens)
{
    return perToken.to(torch::kDouble).view({-1, batchTokens}).sum(1).sqrt().sum().item<double>();
}

double peakMiB(double& peak)
{
    peak = std::max(peak, currentMemoryUsage().rssAnonBytes / 1048576.0);
    return peak;
}

void runShape(const std::string& shape, int64_t tokens, int rerunEvals)
{
    const ModelSpec spec = parseModelSpec(configOf(shape), shape);
    const LayerSpec& ls = spec.layers[0];
    const int64_t d = spec.hiddenSize, f = ls.expertWidth, E = ls.numExperts, k = ls.topK;
    const int P = static_cast<int>(std::lround(E / 4.0));
    const int64_t batchTokens = std::min<int64_t>(512, tokens);  // calibration sequences of 512 tokens
    double peak = 0;
    fmt::print("\n== {}-shaped layer: d {}, f {}, E {}, top-{}, P = {} removed, {} tokens ({} batches of {}) ==\n",
               shape, d, f, E, k, P, tokens, tokens / batchTokens, batchTokens);
    torch::manual_seed(1);
    auto t0 = Clock::now();
    const MoeWeights w = randomMoe(d, f, E);
    const auto x = torch::randn({tokens, d});
    LayerCalibration cal{x, routerLogits(spec.router, x, w.router), {}};
    cal.batchSizes.assign(static_cast<size_t>(tokens / batchTokens), batchTokens);
    fmt::print("random weights: {:.0f} MiB fp32, built in {:.1f} s; peak RssAnon {:.0f} MiB\n",
               double(E) * 3 * d * f * 4 / 1048576.0, since(t0), peakMiB(peak));

    std::mt19937 rng(7);
    std::vector<std::vector<int>> sets;
    std::vector<int> all(static_cast<size_t>(E));
    std::iota(all.begin(), all.end(), 0);
    for (int i = 0; i < 256; ++i) {
        std::shuffle(all.begin(), all.end(), rng);
        sets.emplace_back(all.begin(), all.begin() + P);
    }

    t0 = Clock::now();
    const FastLayerLoss fast(spec, ls, w, cal, P);
    const double fastPre = since(t0);
    fmt::print("fast precompute:   {:8.2f} s  ({} candidates/token, Gram {:.0f} MiB); peak RssAnon {:.0f} MiB\n",
               fastPre, fast.candidatesPerToken(),
               double(tokens) * fast.candidatesPerToken() * fast.candidatesPerToken() * 8 / 1048576.0, peakMiB(peak));
    t0 = Clock::now();
    const auto [outputs, candidates] = candidateOutputs(w, x, cal.logits, k + P);
    const double cachedPre = since(t0);
    fmt::print("cached precompute: {:8.2f} s  (outputs {:.0f} MiB); peak RssAnon {:.0f} MiB\n", cachedPre,
               outputs.numel() * 4 / 1048576.0, peakMiB(peak));
    t0 = Clock::now();
    const auto full = moeForward(spec, ls, w, x);
    const double forward = since(t0);
    fmt::print("unpruned forward:  {:8.2f} s  (cached once for rerun)\n", forward);

    const auto original = route(spec.router, cal.logits, static_cast<int>(k), torch::kFloat);
    const auto origWeights = torch::zeros({tokens, E}).scatter_(1, original.ids, original.weights.to(torch::kFloat)).gather(1, candidates);
    auto cachedLoss = [&](const std::vector<int>& removed) {
        auto r = route(spec.router, cal.logits, static_cast<int>(k), torch::kFloat, maskOf(removed, E));
        auto weights = torch::zeros({tokens, E}).scatter_(1, r.ids, r.weights.to(torch::kFloat)).gather(1, candidates);
        auto delta = torch::einsum("nc,ncd->nd", {origWeights - weights, outputs});
        return batchedLoss(delta.pow(2).sum(-1), batchTokens);
    };
    auto rerunLoss = [&](const std::vector<int>& removed) {
        auto pruned = moeForward(spec, ls, w, x, maskOf(removed, E));
        return batchedLoss((full - pruned).pow(2).sum(-1), batchTokens);
    };

    // Evaluations per second: as many sets as fit in the budget (at least `minimum`).
    auto rate = [&](const auto& loss, double budget, int minimum, std::vector<double>& values) {
        const auto start = Clock::now();
        int n = 0;
        while (n < minimum || (since(start) < budget && n < static_cast<int>(sets.size()))) {
            values.push_back(loss(sets[static_cast<size_t>(n) % sets.size()]));
            ++n;
        }
        return n / since(start);
    };
    std::vector<double> fastValues, cachedValues, rerunValues;
    const double fastRate = rate([&](const std::vector<int>& s) { return fast.loss(s); }, 3.0, 20, fastValues);
    // One evaluation is ~20 small tensor ops; on a shared machine each parallel op can wait for a
    // descheduled OpenMP thread, so also measure one thread (a search parallelises across evaluations).
    const int threads = torch::get_num_threads();
    torch::set_num_threads(1);
    std::vector<double> singleValues;
    const double fastSingle = rate([&](const std::vector<int>& s) { return fast.loss(s); }, 3.0, 20, singleValues);
    torch::set_num_threads(threads);
    const double cachedRate = rate(cachedLoss, 3.0, 3, cachedValues);
    const double rerunRate = rate(rerunLoss, 0.0, rerunEvals, rerunValues);
    double worstCached = 0, worstRerun = 0;
    for (size_t i = 0; i < cachedValues.size() && i < fastValues.size(); ++i)
        worstCached = std::max(worstCached, std::abs(cachedValues[i] - fastValues[i]) / fastValues[i]);
    for (size_t i = 0; i < rerunValues.size() && i < fastValues.size(); ++i)
        worstRerun = std::max(worstRerun, std::abs(rerunValues[i] - fastValues[i]) / fastValues[i]);

    fmt::print("evaluations/s ({} tokens): fast {:.1f} ({} evals; {:.1f} on 1 thread), cached outputs {:.3f} ({}), "
               "rerun experts {:.4f} ({})\n",
               tokens, fastRate, fastValues.size(), fastSingle, cachedRate, cachedValues.size(), rerunRate,
               rerunValues.size());
    fmt::print("ratios: fast / rerun = {:.3g} ({:.3g} with fast on 1 thread), fast / cached = {:.3g}, cached / rerun = {:.3g}\n",
               fastRate / rerunRate, fastSingle / rerunRate, fastRate / cachedRate, cachedRate / rerunRate);
    fmt::print("break-even: the fast precompute pays for itself after {:.1f} rerun evaluations\n",
               fastPre * rerunRate);
    fmt::print("agreement with fast (fp32 forward vs float64 Gram): cached {:.2e}, rerun {:.2e} max relative\n",
               worstCached, worstRerun);
    fmt::print("peak RssAnon {:.0f} MiB\n", peakMiB(peak));
}

} // namespace

int main(int argc, char** argv)
{
    const int64_t tokens = argc > 1 ? std::stoll(argv[1]) : 4096;
    const std::string shapes = argc > 2 ? argv[2] : "mixtral,qwen";
    const int rerunEvals = argc > 3 ? std::stoi(argv[3]) : 2;
    if (tokens < 1 || (tokens > 512 && tokens % 512 != 0)) {
        fmt::print(stderr, "bench_fitness: tokens must be at most 512 or a multiple of 512\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines as they come, also into a log file
    const auto info = initRuntime(0);
    fmt::print("bench_fitness: LibTorch {}, {} thread(s), fp32 experts, float64 loss accumulation\n",
               info.torchVersion, info.threads);
    for (const std::string shape : {"mixtral", "qwen"})
        if (shapes.find(shape) != std::string::npos)
            runShape(shape, tokens, rerunEvals);
    return 0;
}
