#include "core/search/kt_search.h"

#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <limits>

namespace moewb {

std::vector<std::vector<int>> partitionBlocks(const std::vector<int>& layers, int blockSize)
{
    if (blockSize < 1)
        fail("block size T must be at least 1, got {}", blockSize);
    std::vector<std::vector<int>> blocks;
    for (size_t i = 0; i < layers.size(); i += static_cast<size_t>(blockSize)) {
        const size_t end = std::min(layers.size(), i + static_cast<size_t>(blockSize));
        blocks.emplace_back(layers.begin() + static_cast<std::ptrdiff_t>(i), layers.begin() + static_cast<std::ptrdiff_t>(end));
    }
    return blocks;
}

namespace {

int64_t power(int64_t base, size_t exponent)
{
    int64_t r = 1;
    for (size_t i = 0; i < exponent; ++i)
        r *= base;
    return r;
}

// Sum over sequences (rows) of the Frobenius norm of the difference, in float64.
double sequenceNorms(const torch::Tensor& out, const torch::Tensor& ref)
{
    auto diff = (out.to(torch::kDouble) - ref.to(torch::kDouble)).reshape({out.size(0), -1});
    return diff.square().sum(1).sqrt().sum().item<double>();
}

void validateBlock(const MoeModel& model, const std::vector<LayerCandidates>& block, int K)
{
    const auto& spec = model.spec();
    if (block.empty())
        fail("KT search: a block needs at least one MoE layer");
    if (K < 1)
        fail("KT search: K (candidates per layer) must be at least 1, got {}", K);
    for (size_t i = 0; i < block.size(); ++i) {
        const int l = block[i].layer;
        if (l < 0 || l >= spec.numLayers || spec.layers[static_cast<size_t>(l)].kind != LayerKind::Moe)
            fail("KT search: layer {} is not a MoE layer of this model", l);
        if (i > 0 && l <= block[i - 1].layer)
            fail("KT search: block layers must ascend, got {} after {}", l, block[i - 1].layer);
        if (block[i].sets.empty() || static_cast<int>(block[i].sets.size()) > K)
            fail("KT search: layer {} has {} candidate sets, expected 1 to K = {}", l, block[i].sets.size(), K);
    }
}

// Depth-first walk over one slice of sequences: each prefix's hidden state is computed once.
class BlockWalk {
public:
    BlockWalk(const MoeModel& model, const std::vector<LayerCandidates>& block, const std::map<int, DecoderLayerWeights>& weights,
              const AttentionContext& ctx, const torch::Tensor& reference, int K, std::vector<double>& losses,
              std::vector<char>& seen, KtCounters& counters, const std::function<void()>& onLeaf)
        : m_model(model), m_block(block), m_weights(weights), m_ctx(ctx), m_reference(reference), m_K(K), m_losses(losses),
          m_seen(seen), m_counters(counters), m_onLeaf(onLeaf)
    {
        for (const auto& layer : block) {
            std::vector<LayerOverride> overrides;
            for (const auto& set : layer.sets)
                overrides.push_back(LayerOverride{set, false, false});
            m_overrides.push_back(std::move(overrides));
        }
    }

    void walk(size_t depth, int from, torch::Tensor h, int64_t code)
    {
        const int layer = m_block[depth].layer;
        for (int i = from; i < layer; ++i)  // dense layers between the block's MoE layers
            h = pass(i, h, nullptr);
        const auto& overrides = m_overrides[depth];
        for (size_t c = 0; c < overrides.size(); ++c) {
            auto out = pass(layer, h, &overrides[c]);
            const int64_t next = code * m_K + static_cast<int64_t>(c);
            if (depth + 1 == m_block.size()) {
                m_losses[static_cast<size_t>(next)] += sequenceNorms(out, m_reference);
                m_seen[static_cast<size_t>(next)] = 1;
                m_onLeaf();
            } else {
                walk(depth + 1, layer + 1, out, next);
            }
        }
    }

private:
    torch::Tensor pass(int layer, const torch::Tensor& h, const LayerOverride* override)
    {
        ++m_counters.layerPasses;
        return m_model.runLayer(m_weights.at(layer), h, m_ctx, override);
    }

    const MoeModel& m_model;
    const std::vector<LayerCandidates>& m_block;
    const std::map<int, DecoderLayerWeights>& m_weights;
    const AttentionContext& m_ctx;
    const torch::Tensor& m_reference;
    int m_K;
    std::vector<double>& m_losses;
    std::vector<char>& m_seen;
    KtCounters& m_counters;
    const std::function<void()>& m_onLeaf;
    std::vector<std::vector<LayerOverride>> m_overrides;
};

BlockResult searchBlockImpl(const MoeModel& model, const std::vector<LayerCandidates>& block, const torch::Tensor& input,
                            const KtOptions& options, KtCounters& counters, const std::function<bool(double)>& progress)
{
    const int K = options.candidates;
    validateBlock(model, block, K);
    const int d = model.spec().hiddenSize;
    if (input.dim() != 3 || input.size(0) < 1 || input.size(2) != d)
        fail("KT search: block input of layer {} must be [n, s, {}] hidden states", block.front().layer, d);
    if (options.sequencesPerPass < 1)
        fail("KT search: sequences per pass must be at least 1, got {}", options.sequencesPerPass);
    torch::NoGradGuard noGrad;
    const int first = block.front().layer, last = block.back().layer;
    std::map<int, DecoderLayerWeights> weights;
    for (int i = first; i <= last; ++i)
        weights.emplace(i, model.layer(i));

    const int64_t combos = power(K, block.size());
    std::vector<double> losses(static_cast<size_t>(combos), 0.0);
    std::vector<char> seen(static_cast<size_t>(combos), 0);
    int64_t leaves = 1;
    for (const auto& layer : block)
        leaves *= static_cast<int64_t>(layer.sets.size());
    const int64_t n = input.size(0), s = input.size(1);
    const int64_t slices = (n + options.sequencesPerPass - 1) / options.sequencesPerPass;
    int64_t done = 0;
    const std::function<void()> onLeaf = [&] {
        ++done;
        if (progress && !progress(static_cast<double>(done) / static_cast<double>(leaves * slices)))
            throw Cancelled();
    };
    for (int64_t row = 0; row < n; row += options.sequencesPerPass) {
        const int64_t rows = std::min(options.sequencesPerPass, n - row);
        auto x = input.narrow(0, row, rows).to(model.options().device, model.options().dtype);
        const auto ctx = model.attentionContext({}, rows, s);
        auto reference = x;
        for (int i = first; i <= last; ++i) {
            reference = model.runLayer(weights.at(i), reference, ctx);
            ++counters.layerPasses;
        }
        BlockWalk walk(model, block, weights, ctx, reference, K, losses, seen, counters, onLeaf);
        walk.walk(0, first, x, 0);
    }
    if (!model.resident())
        for (int i = first; i <= last; ++i)
            model.releaseLayerPages(i);

    BlockResult result;
    int64_t best = -1;
    for (int64_t c = 0; c < combos; ++c) {
        if (!seen[static_cast<size_t>(c)])
            losses[static_cast<size_t>(c)] = std::numeric_limits<double>::infinity();
        else if (best < 0 || losses[static_cast<size_t>(c)] < losses[static_cast<size_t>(best)])
            best = c;
    }
    counters.combinations += leaves;
    for (size_t i = 0; i < block.size(); ++i) {
        result.layers.push_back(block[i].layer);
        result.chosen.push_back(static_cast<int>(best / power(K, block.size() - 1 - i) % K));
    }
    result.losses = std::move(losses);
    return result;
}

} // namespace

BlockResult searchBlock(const MoeModel& model, const std::vector<LayerCandidates>& block, const torch::Tensor& input,
                        const KtOptions& options, KtCounters* counters)
{
    KtCounters local;
    auto result = searchBlockImpl(model, block, input, options, counters ? *counters : local, options.progress);
    if (options.onBlock)
        options.onBlock(result);
    return result;
}

BlockSearch searchBlocks(const MoeModel& model, const std::vector<LayerCandidates>& layers, const BlockInputFn& inputs,
                         const KtOptions& options, KtCounters* counters)
{
    countCompute("block_search");
    std::vector<int> ids;
    for (const auto& l : layers)
        ids.push_back(l.layer);
    const auto blocks = partitionBlocks(ids, options.blockSize);
    BlockSearch search;
    search.candidatesPerLayer = options.candidates;
    search.blockSize = options.blockSize;
    KtCounters local;
    size_t next = 0;
    for (size_t b = 0; b < blocks.size(); ++b) {
        std::vector<LayerCandidates> block(layers.begin() + static_cast<std::ptrdiff_t>(next),
                                           layers.begin() + static_cast<std::ptrdiff_t>(next + blocks[b].size()));
        next += blocks[b].size();
        const double lo = static_cast<double>(b) / static_cast<double>(blocks.size());
        const double width = 1.0 / static_cast<double>(blocks.size());
        std::function<bool(double)> progress;
        if (options.progress)
            progress = [&](double f) { return options.progress(lo + width * f); };
        auto result = searchBlockImpl(model, block, inputs(block.front().layer), options, counters ? *counters : local, progress);
        if (options.onBlock)
            options.onBlock(result);
        search.blocks.push_back(std::move(result));
    }
    return search;
}

std::map<int, torch::Tensor> captureLayerInputs(const MoeModel& model, const torch::Tensor& ids, const std::vector<int>& layers,
                                                const std::function<bool(double)>& progress)
{
    std::map<int, torch::Tensor> inputs;
    if (layers.empty())
        return inputs;
    ForwardOptions forward;
    forward.lastLayer = *std::max_element(layers.begin(), layers.end()) + 1;
    forward.onLayer = [&](const LayerTrace& t) {
        if (std::find(layers.begin(), layers.end(), t.layer) != layers.end())
            inputs[t.layer] = t.input;
    };
    forward.progress = progress;
    model.forward(ids, {}, forward);
    return inputs;
}

} // namespace moewb
