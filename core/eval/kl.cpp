#include "core/eval/kl.h"

#include "core/eval/batching.h"
#include "core/eval/block_pass.h"

#include <torch/types.h>

#include <limits>

namespace moewb {

using namespace eval_detail;

namespace {

// Per-position KL from full log-probabilities [B, s, V] -> [B, s] (float32).
torch::Tensor fullKl(const torch::Tensor& refLogProbs, const torch::Tensor& candLogProbs)
{
    return (refLogProbs.exp() * (refLogProbs - candLogProbs)).sum(-1);
}

// Per-position KL of the coarsened distributions: the reference's top K tokens, and one bucket for
// the rest, for both models.
torch::Tensor topKKl(const torch::Tensor& refTop, const torch::Tensor& ids, const torch::Tensor& refRest,
    const torch::Tensor& candLogProbs)
{
    auto candTop = candLogProbs.gather(-1, ids);
    auto candRest = candLogProbs.scatter(-1, ids, -std::numeric_limits<float>::infinity()).logsumexp(-1);
    auto kept = (refTop.exp() * (refTop - candTop)).sum(-1);
    auto pRest = refRest.exp();
    // 0 log 0 = 0: where the reference has no mass outside its top K the bucket adds nothing.
    auto rest = torch::where(pRest > 0, pRest * (refRest - candRest), torch::zeros_like(pRest));
    return kept + rest;
}

} // namespace

int64_t referenceBytes(int64_t n, int64_t s, int64_t vocab, int64_t topK)
{
    if (topK <= 0 || topK >= vocab)
        return n * s * vocab * 4;
    return n * s * (topK * (4 + 8) + 4);
}

int64_t ReferenceDistribution::bytes() const
{
    int64_t total = 0;
    for (const auto* t : {&logProbs, &ids, &logRest})
        if (t->defined())
            total += static_cast<int64_t>(t->nbytes());
    return total;
}

ReferenceDistribution captureReference(
    const LogitsFn& reference, const torch::Tensor& blocks, int64_t topK, const EvalOptions& options)
{
    ReferenceDistribution ref;
    ref.blocks = blocks;
    NllSum nll{options.model};
    const int64_t n = blocks.size(0), s = blocks.size(1);
    const auto run
        = runBlocks(reference, blocks, options, 0.0, 1.0, [&](int64_t first, const torch::Tensor& logProbs) {
              const int64_t rows = logProbs.size(0), vocab = logProbs.size(2);
              nll.add(logProbs, blocks.slice(0, first, first + rows));
              if (first == 0) {
                  ref.topK = topK >= vocab ? 0 : std::max<int64_t>(topK, 0);
                  ref.logProbs = torch::empty({n, s, ref.topK ? ref.topK : vocab}, torch::kFloat);
                  if (ref.topK) {
                      ref.ids = torch::empty({n, s, ref.topK}, torch::kInt64);
                      ref.logRest = torch::empty({n, s}, torch::kFloat);
                  }
              }
              if (!ref.topK) {
                  ref.logProbs.slice(0, first, first + rows).copy_(logProbs);
                  return;
              }
              auto [values, ids] = logProbs.topk(ref.topK, -1, true, true);
              auto rest = logProbs.scatter(-1, ids, -std::numeric_limits<float>::infinity()).logsumexp(-1);
              ref.logProbs.slice(0, first, first + rows).copy_(values);
              ref.ids.slice(0, first, first + rows).copy_(ids);
              ref.logRest.slice(0, first, first + rows).copy_(rest);
          });
    ref.perplexity = nll.result(blocks, run);
    return ref;
}

KlResult compareWithReference(
    const ReferenceDistribution& reference, const LogitsFn& candidate, const EvalOptions& options)
{
    const auto& blocks = reference.blocks;
    if (!blocks.defined() || !reference.logProbs.defined())
        fail("KL divergence: the reference distribution is empty (not captured)");
    NllSum nll{options.model};
    double klSum = 0, klMax = 0;
    int64_t agree = 0;
    const auto run = runBlocks(
        candidate, blocks, options, 0.0, 1.0, [&](int64_t first, const torch::Tensor& logProbs) {
            const int64_t rows = logProbs.size(0);
            nll.add(logProbs, blocks.slice(0, first, first + rows));
            const auto device = logProbs.device();
            auto refLp = reference.logProbs.slice(0, first, first + rows).to(device);
            torch::Tensor kl, refTop1;
            if (!reference.topK) {
                if (refLp.size(-1) != logProbs.size(-1))
                    fail("KL divergence: the reference has a vocabulary of {}, the candidate {}",
                        refLp.size(-1), logProbs.size(-1));
                kl = fullKl(refLp, logProbs);
                refTop1 = refLp.argmax(-1);
            } else {
                auto ids = reference.ids.slice(0, first, first + rows).to(device);
                if (ids.max().item<int64_t>() >= logProbs.size(-1))
                    fail("KL divergence: the reference's tokens do not fit the candidate's vocabulary of {}",
                        logProbs.size(-1));
                kl = topKKl(refLp, ids, reference.logRest.slice(0, first, first + rows).to(device), logProbs);
                refTop1 = ids.select(-1, 0);
            }
            auto klDouble = kl.to(torch::kDouble);
            klSum += klDouble.sum().item<double>();
            klMax = std::max(klMax, klDouble.max().item<double>());
            agree += (refTop1 == logProbs.argmax(-1)).sum().item<int64_t>();
        });
    KlResult result;
    result.tokens = blocks.numel();
    result.meanKl = klSum / double(result.tokens);
    result.maxKl = klMax;
    result.top1Agreement = double(agree) / double(result.tokens);
    result.topK = reference.topK;
    result.reference = reference.perplexity;
    result.candidate = nll.result(blocks, run);
    return result;
}

KlResult klDivergence(const LogitsFn& reference, const LogitsFn& candidate, const torch::Tensor& blocks,
    int64_t topK, const EvalOptions& options)
{
    EvalOptions first = options, second = options;
    first.progress = subProgress(options.progress, 0.0, 0.5);
    second.progress = subProgress(options.progress, 0.5, 1.0);
    const auto ref = captureReference(reference, blocks, topK, first);
    return compareWithReference(ref, candidate, second);
}

} // namespace moewb
