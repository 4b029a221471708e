// Export, the check: the written folder is reopened with MoeModel::open and its logits compared with
// the in-memory applied model, run layer by layer with MoeModel::runLayer over the kept layers,
// once with the weights as they compute and once as written (rounded to the export dtype, factors
// multiplied back for the dense kind). The second comparison isolates the writing and must agree
// to the golden-test tolerance; the first tells what the export dtype costs.
#include "core/export/export_internal.h"
#include "core/io/error.h"
#include "core/io/splitmix.h"
#include "core/model/ops.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace moewb::detail {

namespace {

torch::Tensor randomIds(int64_t vocab, int64_t blocks, int64_t length)
{
    SplitMix64 rng(0x6d6f6577620a);
    auto ids = torch::empty({blocks, length}, torch::kLong);
    auto acc = ids.accessor<int64_t, 2>();
    for (int64_t b = 0; b < blocks; ++b)
        for (int64_t t = 0; t < length; ++t)
            acc[b][t] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(vocab)));
    return ids;
}

} // namespace

ExportVerification verifyExport(const MoeModel& applied, const ExportPreview& p, const std::filesystem::path& folder,
                                const ExportOptions& options, const std::function<bool(double)>& progress)
{
    const auto start = std::chrono::steady_clock::now();
    const ModelSpec& spec = applied.spec();
    ExportVerification v;
    torch::Tensor ids = options.verifyIds;
    v.data = "calibration blocks";
    if (!ids.defined()) {
        const int64_t length = std::max<int64_t>(2, options.randomVerifyLength);
        ids = randomIds(spec.vocabSize, std::max<int64_t>(1, options.randomVerifyBlocks),
            spec.maxPositionEmbeddings > 0 ? std::min<int64_t>(length, spec.maxPositionEmbeddings) : length);
        v.data = "random token ids";
    }
    ids = ids.to(torch::kLong);
    v.blocks = ids.size(0);
    v.tokens = ids.numel();
    torch::NoGradGuard noGrad;

    // The in-memory model, as it computes and as written.
    const auto& opt = applied.options();
    const torch::ScalarType target = scalarTypeOf(p.dtype);
    auto global = [&](const std::string& name, bool rounded) {
        auto t = globalTensor(applied, name);
        if (rounded)
            t = t.to(target);
        return t.to(opt.device, opt.dtype);
    };
    const std::string headName = applied.checkpoint().contains(lmHeadName()) ? lmHeadName() : embeddingName();
    const int64_t B = ids.size(0), T = ids.size(1);
    const auto ctx = applied.attentionContext({}, B, T);
    torch::Tensor hidden[2];
    for (int r = 0; r < 2; ++r)
        hidden[r] = torch::embedding(global(embeddingName(), r == 1), ids.to(opt.device));
    for (size_t o = 0; o < p.keptLayers.size(); ++o) {
        const DecoderLayerWeights w = applied.layer(p.keptLayers[o]);
        hidden[0] = applied.runLayer(w, hidden[0], ctx);
        hidden[1] = applied.runLayer(asWritten(w, p), hidden[1], ctx);
        applied.releaseLayerPages(p.keptLayers[o]);
        if (progress && !progress(0.5 * double(o + 1) / double(p.keptLayers.size())))
            throw Cancelled();
    }
    torch::Tensor logits[2];
    for (int r = 0; r < 2; ++r)
        logits[r] = torch::linear(rmsNorm(hidden[r], global(finalNormName(), r == 1), spec.rmsNormEps),
                                  global(headName, r == 1));

    // The folder as MoeModel::open reads it.
    auto reloaded = MoeModel::open(folder, opt);
    ForwardOptions fo;
    if (progress)
        fo.progress = [&](double f) { return progress(0.5 + 0.5 * f); };
    const auto back = reloaded->forward(ids, {}, fo).logits;
    v.maxDiff = (back - logits[1]).abs().max().item<double>();
    v.maxDiffInMemory = (back - logits[0]).abs().max().item<double>();
    v.logitScale = logits[1].abs().max().item<double>();
    v.tolerance = 1e-4 * v.logitScale;
    v.passed = std::isfinite(v.maxDiff) && v.maxDiff <= v.tolerance;
    v.ran = true;
    v.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return v;
}

} // namespace moewb::detail
