#include "core/train/demo_report.h"

#include "core/io/error.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>
#include <map>

namespace moewb {

namespace {

struct BigramCounts {
    int64_t vocab = 0;
    std::vector<uint32_t> pair;   // [v * vocab + w]
    std::vector<uint64_t> first;  // c(v) as a predecessor
    std::vector<uint64_t> unigram;
    uint64_t total = 0;
};

double meanNll(const BigramCounts& c, const std::vector<int32_t>& ids, int64_t window, double lambda)
{
    double nll = 0;
    int64_t count = 0;
    const int64_t windows = static_cast<int64_t>(ids.size()) / window;
    for (int64_t b = 0; b < windows; ++b)
        for (int64_t t = 1; t < window; ++t) {
            const auto v = static_cast<size_t>(ids[static_cast<size_t>(b * window + t - 1)]);
            const auto w = static_cast<size_t>(ids[static_cast<size_t>(b * window + t)]);
            const double uni = (static_cast<double>(c.unigram[w]) + 1.0) / static_cast<double>(c.total + c.vocab);
            double p = uni;
            if (c.first[v] > 0)
                p = lambda * c.pair[v * static_cast<size_t>(c.vocab) + w] / static_cast<double>(c.first[v]) +
                    (1.0 - lambda) * uni;
            nll -= std::log(p);
            ++count;
        }
    if (count == 0)
        fail("bigram baseline: fewer than one window of {} tokens to score", window);
    return nll / static_cast<double>(count);
}

} // namespace

BigramResult bigramBaseline(const std::vector<int32_t>& train, const std::vector<int32_t>& valid,
                            const std::vector<int32_t>& test, int64_t vocab, int64_t window)
{
    BigramCounts c;
    c.vocab = vocab;
    c.pair.assign(static_cast<size_t>(vocab * vocab), 0);
    c.first.assign(static_cast<size_t>(vocab), 0);
    c.unigram.assign(static_cast<size_t>(vocab), 0);
    for (size_t i = 0; i < train.size(); ++i) {
        if (train[i] < 0 || train[i] >= vocab)
            fail("bigram baseline: token id {} outside the vocabulary of {}", train[i], vocab);
        ++c.unigram[static_cast<size_t>(train[i])];
        if (i + 1 < train.size()) {
            ++c.first[static_cast<size_t>(train[i])];
            ++c.pair[static_cast<size_t>(train[i]) * static_cast<size_t>(vocab) + static_cast<size_t>(train[i + 1])];
        }
    }
    c.total = train.size();
    BigramResult best;
    double bestNll = INFINITY;
    for (int step = 1; step < 20; ++step) {
        const double lambda = 0.05 * step;
        const double nll = meanNll(c, valid, window, lambda);
        if (nll < bestNll) {
            bestNll = nll;
            best.lambda = lambda;
        }
    }
    best.validPerplexity = std::exp(bestNll);
    best.testPerplexity = std::exp(meanNll(c, test, window, best.lambda));
    return best;
}

std::vector<LayerRouting> routingReport(const MoeModel& model, const torch::Tensor& blocks, int64_t batchRows)
{
    torch::NoGradGuard noGrad;
    std::map<int, LayerRouting> layers;
    std::map<int, torch::Tensor> counts;
    std::map<int, double> entropySum;
    int64_t tokens = 0;
    ForwardOptions fo;
    fo.onLayer = [&](const LayerTrace& t) {
        if (!t.moe)
            return;
        const auto probs = t.moe->routing.probs.to(torch::kDouble);
        const auto ids = t.moe->routing.ids.reshape({-1});
        auto& r = layers[t.layer];
        r.layer = t.layer;
        r.experts = static_cast<int>(probs.size(1));
        r.topK = static_cast<int>(t.moe->routing.ids.size(1));
        auto& c = counts[t.layer];
        if (!c.defined())
            c = torch::zeros({probs.size(1)}, torch::kDouble);
        c.index_add_(0, ids, torch::ones({ids.size(0)}, torch::kDouble));
        entropySum[t.layer] += -(probs * torch::log(probs.clamp_min(1e-300))).sum().item<double>();
    };
    for (int64_t b0 = 0; b0 < blocks.size(0); b0 += batchRows) {
        const auto batch = blocks.narrow(0, b0, std::min(batchRows, blocks.size(0) - b0));
        model.forward(batch, {}, fo);
        tokens += batch.numel();
    }
    std::vector<LayerRouting> out;
    for (auto& [layer, r] : layers) {
        const auto c = counts[layer] / counts[layer].sum();
        r.share.assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
        r.minShare = c.min().item<double>();
        r.maxShare = c.max().item<double>();
        r.meanEntropy = entropySum[layer] / static_cast<double>(tokens);
        r.entropyRatio = r.meanEntropy / std::log(static_cast<double>(r.experts));
        out.push_back(r);
    }
    return out;
}

} // namespace moewb
