#include "core/eval/perplexity.h"

#include "core/eval/batching.h"
#include "core/eval/block_pass.h"
#include "core/eval/run_meter.h"
#include "core/pipeline/compute_counter.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>

namespace moewb {

namespace eval_detail {

RunStats runBlocks(const LogitsFn& model, const torch::Tensor& blocks, const EvalOptions& options, double lo,
    double hi, const std::function<void(int64_t, const torch::Tensor&)>& body)
{
    if (blocks.dim() != 2 || blocks.scalar_type() != torch::kInt64 || blocks.size(0) == 0
        || blocks.size(1) < 2)
        fail("evaluation blocks must be int64 [n, s] with n >= 1 and s >= 2 (got {} {})",
            std::string(c10::toString(blocks.scalar_type())), std::string(c10::str(blocks.sizes())));
    torch::NoGradGuard noGrad;
    const int64_t n = blocks.size(0), s = blocks.size(1);
    const int64_t rows = rowsPerBatch(options.batchTokens, s);
    RunMeter meter;
    for (int64_t first = 0; first < n; first += rows) {
        const int64_t last = std::min(n, first + rows);
        countCompute("eval_batches"); // tests: the batch tokens reached the pass
        const double a = lo + (hi - lo) * double(first) / double(n),
                     b = lo + (hi - lo) * double(last) / double(n);
        auto batch = blocks.slice(0, first, last);
        auto logits = model(batch, subProgress(options.progress, a, b));
        if (!logits.defined() || logits.dim() != 3 || logits.size(0) != last - first || logits.size(1) != s)
            fail("the model returned logits of shape {} for a batch of {} x {} tokens",
                logits.defined() ? std::string(c10::str(logits.sizes())) : std::string("(none)"),
                last - first, s);
        meter.addPass();
        meter.addTokens((last - first) * s);
        meter.sample();
        auto logProbs = torch::log_softmax(logits.to(torch::kFloat), -1);
        logits = torch::Tensor();
        body(first, logProbs);
        report(options.progress, b);
    }
    return meter.finish();
}

void NllSum::add(const torch::Tensor& logProbs, const torch::Tensor& ids)
{
    const int64_t s = logProbs.size(1);
    auto targets = ids.slice(1, 1, s).to(logProbs.device()).unsqueeze(-1);
    auto picked = logProbs.slice(1, 0, s - 1).gather(-1, targets);
    sum -= picked.to(torch::kDouble).sum().item<double>();
    count += targets.numel();
    if (!std::isfinite(sum))
        fail("{}: the next-token loss is {}: the model's logits are not finite numbers (NaN or infinite "
             "weights, or an overflow in the compute dtype); no perplexity",
             model.empty() ? std::string("the model") : model, sum);
}

PerplexityResult NllSum::result(const torch::Tensor& blocks, const RunStats& run) const
{
    PerplexityResult r;
    r.predictedTokens = count;
    r.meanNll = count > 0 ? sum / double(count) : 0;
    r.perplexity = std::exp(r.meanNll);
    r.windows = blocks.size(0);
    r.windowLength = blocks.size(1);
    r.run = run;
    return r;
}

} // namespace eval_detail

PerplexityResult perplexity(const LogitsFn& model, const torch::Tensor& blocks, const EvalOptions& options)
{
    eval_detail::NllSum nll{options.model};
    const auto run = eval_detail::runBlocks(
        model, blocks, options, 0.0, 1.0, [&](int64_t first, const torch::Tensor& logProbs) {
            nll.add(logProbs, blocks.slice(0, first, first + logProbs.size(0)));
        });
    return nll.result(blocks, run);
}

} // namespace moewb
