// Layer Drop and Block Drop scores, their session cache and plans (layer_drop.h).
#include "core/compress/layer_drop.h"

#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"
#include "core/session/session.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace moewb {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kMoeName = "scores/layer_drop/moe_similarity";
const char* const kSpanName = "scores/block_drop/span_similarity";

// Sum over rows of cos(a_t, b_t) (float64) and the number of rows.
std::pair<double, int64_t> cosineSum(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.sizes() != b.sizes())
        fail("cosine similarity of tensors shaped [{}] and [{}]", fmt::join(a.sizes(), ", "), fmt::join(b.sizes(), ", "));
    const int64_t d = a.size(-1);
    auto x = a.reshape({-1, d}).to(torch::kDouble), y = b.reshape({-1, d}).to(torch::kDouble);
    auto cos = torch::cosine_similarity(x, y, 1, 1e-12);
    return {cos.sum().item<double>(), x.size(0)};
}

} // namespace

double meanCosine(const torch::Tensor& a, const torch::Tensor& b)
{
    const auto [sum, count] = cosineSum(a, b);
    return count ? sum / double(count) : kNaN;
}

double LayerSimilarity::spanAt(int first, int length) const
{
    if (first < 0 || length < 1 || length > maxSpan || first + length > numLayers)
        return kNaN;
    return span[static_cast<size_t>(first) * static_cast<size_t>(maxSpan) + static_cast<size_t>(length - 1)];
}

SpanAccumulator::SpanAccumulator(int numLayers, int maxSpan)
    : m_layers(numLayers)
    , m_maxSpan(maxSpan)
    , m_recent(static_cast<size_t>(maxSpan))
    , m_span(static_cast<size_t>(numLayers) * static_cast<size_t>(maxSpan), kNaN)
{
    if (numLayers < 1 || maxSpan < 1 || maxSpan > numLayers)
        fail("span similarity over {} layers with spans up to {}", numLayers, maxSpan);
}

void SpanAccumulator::push(const torch::Tensor& state)
{
    const int j = m_pushed++; // this is x_j
    if (j > m_layers)
        fail("span similarity: more than {} hidden states", m_layers + 1);
    for (int n = 1; n <= std::min(j, m_maxSpan); ++n) {
        const int i = j - n;
        m_span[static_cast<size_t>(i) * static_cast<size_t>(m_maxSpan) + static_cast<size_t>(n - 1)] =
            meanCosine(m_recent[static_cast<size_t>(i % m_maxSpan)], state);
    }
    m_recent[static_cast<size_t>(j % m_maxSpan)] = state;
}

LayerSimilarity computeLayerSimilarity(const MoeModel& model, const torch::Tensor& blocks,
                                       const SimilarityOptions& options)
{
    if (blocks.dim() != 2 || blocks.size(0) == 0 || blocks.size(1) < 1)
        fail("calibration blocks must be [n, s] token ids with n >= 1, got {} dims", blocks.dim());
    torch::NoGradGuard noGrad;
    const int L = model.spec().numLayers;
    LayerSimilarity out;
    out.numLayers = L;
    out.maxSpan = options.maxSpan > 0 ? std::min(options.maxSpan, L) : L;
    out.moe.assign(static_cast<size_t>(L), kNaN);
    SpanAccumulator spans(L, out.maxSpan);
    const int64_t n = blocks.size(0), s = blocks.size(1);
    const int64_t rowsPerChunk = std::max<int64_t>(1, options.batchTokens / s);
    torch::Tensor h = model.embed(blocks);
    spans.push(h);
    for (int i = 0; i < L; ++i) {
        const auto w = model.layer(i);
        std::vector<torch::Tensor> outputs;
        double cosSum = 0;
        int64_t cosCount = 0;
        for (int64_t row = 0; row < n; row += rowsPerChunk) {
            const int64_t rows = std::min(rowsPerChunk, n - row);
            countCompute("layer_chunks"); // tests: the batch tokens reached the pass
            LayerTrace trace;
            auto y = model.runLayer(w, h.narrow(0, row, rows), model.attentionContext({}, rows, s), nullptr, &trace);
            if (trace.moe) { // a MoE sublayer ran: y = h + MoE(norm(h))
                const auto [sum, count] = cosineSum(trace.residual, y);
                cosSum += sum;
                cosCount += count;
            }
            outputs.push_back(y);
            if (options.progress && !options.progress((i + double(row + rows) / n) / L))
                throw Cancelled();
        }
        if (cosCount > 0)
            out.moe[static_cast<size_t>(i)] = cosSum / double(cosCount);
        h = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 0);
        spans.push(h);
        if (!model.resident())
            model.releaseLayerPages(i);
    }
    out.span = spans.span();
    return out;
}

std::optional<LayerSimilarity> loadLayerSimilarity(const Session& session, int numLayers, int minSpan)
{
    const auto moeInfo = session.arrayInfo(fmt::format("tensors/{}", kMoeName));
    const auto spanInfo = session.arrayInfo(fmt::format("tensors/{}", kSpanName));
    const CacheStamp stamp = session.currentStamp();
    if (!moeInfo || !spanInfo || stamp.modelHash.empty() || moeInfo->stamp != stamp || spanInfo->stamp != stamp
        || moeInfo->shape != std::vector<int64_t>{numLayers} || spanInfo->shape.size() != 2
        || spanInfo->shape[0] != numLayers || spanInfo->shape[1] < minSpan)
        return std::nullopt;
    LayerSimilarity out;
    out.numLayers = numLayers;
    out.maxSpan = static_cast<int>(spanInfo->shape[1]);
    out.moe = session.tensor<double>(kMoeName).data;
    out.span = session.tensor<double>(kSpanName).data;
    return out;
}

void storeLayerSimilarity(Session& session, const LayerSimilarity& similarity)
{
    session.putTensor<double>(kMoeName, Array<double>{{similarity.numLayers}, similarity.moe});
    session.putTensor<double>(kSpanName, Array<double>{{similarity.numLayers, similarity.maxSpan}, similarity.span});
}

LayerSimilarity layerSimilarity(const MoeModel& model, const torch::Tensor& blocks, Session* session, int minSpan,
                                const SimilarityOptions& options, bool* reused)
{
    const int L = model.spec().numLayers;
    if (session && session->source()) {
        if (auto cached = loadLayerSimilarity(*session, L, std::max(minSpan, 1))) {
            if (reused)
                *reused = true;
            return *cached;
        }
    }
    SimilarityOptions o = options;
    if (o.maxSpan > 0)
        o.maxSpan = std::max(o.maxSpan, minSpan);
    auto similarity = computeLayerSimilarity(model, blocks, o);
    if (session && session->source())
        storeLayerSimilarity(*session, similarity);
    if (reused)
        *reused = false;
    return similarity;
}

namespace {

// Indices of the `count` largest finite values, ties to the lower index, ascending.
std::vector<int> highest(const std::vector<double>& values, int count)
{
    std::vector<int> order;
    for (int i = 0; i < static_cast<int>(values.size()); ++i)
        if (std::isfinite(values[static_cast<size_t>(i)]))
            order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return values[static_cast<size_t>(a)] > values[static_cast<size_t>(b)]; });
    order.resize(std::min<size_t>(order.size(), static_cast<size_t>(std::max(count, 0))));
    std::sort(order.begin(), order.end());
    return order;
}

nlohmann::json finiteOrNull(const std::vector<double>& values)
{
    nlohmann::json out = nlohmann::json::array();
    for (double v : values)
        out.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json());
    return out;
}

} // namespace

Plan layerDropPlan(const ModelSpec& spec, const LayerSimilarity& similarity, int dropN)
{
    if (similarity.numLayers != spec.numLayers)
        fail("Layer Drop: scores for {} layers, the model has {}", similarity.numLayers, spec.numLayers);
    std::vector<double> scores = similarity.moe;
    for (int i = 0; i < spec.numLayers; ++i)
        if (spec.layers[static_cast<size_t>(i)].kind != LayerKind::Moe)
            scores[static_cast<size_t>(i)] = kNaN; // dense MLP layers are never dropped
    const auto candidates = std::count_if(scores.begin(), scores.end(), [](double v) { return std::isfinite(v); });
    if (dropN < 1 || dropN > candidates)
        fail("Layer Drop: drop_n = {} is outside [1, {}] (the MoE layers with a sublayer to drop)", dropN, candidates);
    Plan plan;
    plan.method = "layer-drop";
    for (int layer : highest(scores, dropN))
        plan.steps.emplace_back(std::in_place_type<DropMoeSublayer>, DropMoeSublayer{layer});
    plan.parameters = {{"drop_n", dropN}, {"similarity", finiteOrNull(scores)}};
    return plan;
}

std::string blockDropModeName(BlockDropMode mode)
{
    return mode == BlockDropMode::Consecutive ? "consecutive" : "discrete";
}

BlockDropMode parseBlockDropMode(const std::string& name)
{
    if (name == "discrete")
        return BlockDropMode::Discrete;
    if (name == "consecutive")
        return BlockDropMode::Consecutive;
    fail("Block Drop mode '{}' is neither 'discrete' nor 'consecutive'", name);
}

int bestConsecutiveStart(const LayerSimilarity& similarity, int length)
{
    int best = -1;
    double bestScore = -std::numeric_limits<double>::infinity();
    for (int i = 0; i + length <= similarity.numLayers; ++i) {
        const double v = similarity.spanAt(i, length);
        if (std::isfinite(v) && v > bestScore) {
            best = i;
            bestScore = v;
        }
    }
    return best;
}

std::vector<int> blocksToDrop(const LayerSimilarity& similarity, int dropN, BlockDropMode mode)
{
    const int L = similarity.numLayers;
    if (dropN < 1 || dropN > L - 1)
        fail("Block Drop: drop_n = {} is outside [1, {}] (at least one of {} layers must remain)", dropN, L - 1, L);
    if (mode == BlockDropMode::Discrete) {
        std::vector<double> block(static_cast<size_t>(L));
        for (int i = 0; i < L; ++i)
            block[static_cast<size_t>(i)] = similarity.block(i);
        return highest(block, dropN);
    }
    const int start = bestConsecutiveStart(similarity, dropN);
    if (start < 0)
        fail("Block Drop: spans of {} blocks were not measured (measured up to {})", dropN, similarity.maxSpan);
    std::vector<int> run(static_cast<size_t>(dropN));
    std::iota(run.begin(), run.end(), start);
    return run;
}

Plan blockDropPlan(const ModelSpec& spec, const LayerSimilarity& similarity, int dropN, BlockDropMode mode)
{
    if (similarity.numLayers != spec.numLayers)
        fail("Block Drop: scores for {} layers, the model has {}", similarity.numLayers, spec.numLayers);
    Plan plan;
    plan.method = "block-drop";
    for (int layer : blocksToDrop(similarity, dropN, mode))
        plan.steps.emplace_back(std::in_place_type<DropBlock>, DropBlock{layer});
    std::vector<double> scores(static_cast<size_t>(spec.numLayers));
    for (int i = 0; i < spec.numLayers; ++i)
        scores[static_cast<size_t>(i)] =
            mode == BlockDropMode::Discrete ? similarity.block(i) : similarity.spanAt(i, dropN);
    plan.parameters = {{"drop_n", dropN}, {"mode", blockDropModeName(mode)}, {"similarity", finiteOrNull(scores)}};
    return plan;
}

} // namespace moewb
