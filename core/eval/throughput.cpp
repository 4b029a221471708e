#include "core/eval/throughput.h"

#include "core/io/error.h"
#include "core/model/moe_model.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <chrono>

namespace moewb {

Throughput measureThroughput(const LogitsFn& model, const torch::Tensor& ids, int repeats, bool warmUp,
                             const ProgressFn& progress)
{
    if (repeats < 1)
        fail("throughput: at least one timed pass is needed (got {})", repeats);
    if (!ids.defined() || ids.dim() != 2 || ids.numel() == 0)
        fail("throughput: token ids must be [n, s] and not empty");
    torch::NoGradGuard noGrad;
    Throughput t;
    t.tokens = ids.numel();
    t.repeats = repeats;
    t.warmedUp = warmUp;
    // A pass ends when its logits exist: reading one value waits for a GPU to finish the pass.
    // Passes report through `progress` (the model throws Cancelled inside one when it returns false).
    const int passes = repeats + (warmUp ? 1 : 0);
    int done = 0;
    const auto pass = [&] {
        ProgressFn inPass;
        if (progress) {
            if (!progress(double(done) / passes))
                throw Cancelled();
            inPass = [&](double f) { return progress((done + f) / passes); };
        }
        model(ids, inPass).reshape(-1)[0].item<float>();
        ++done;
    };
    if (warmUp)
        pass();
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        pass();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (r == 0 || seconds < t.bestSeconds)
            t.bestSeconds = seconds;
    }
    t.tokensPerSecond = t.bestSeconds > 0 ? double(t.tokens) / t.bestSeconds : 0;
    return t;
}

Throughput measureThroughput(const MoeModel& model, const torch::Tensor& ids, int repeats, const ProgressFn& progress)
{
    return measureThroughput(modelLogits(model), ids, repeats, model.resident(), progress);
}

} // namespace moewb
