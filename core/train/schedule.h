// The learning-rate schedule of the fine-tunings (LoRA recovery, CD-MoE's condensed experts): linear
// warm-up to `lr` over `warmup` steps, then linear decay to 0 at `steps`.
#pragma once
#include <algorithm>
#include <cstdint>

namespace moewb {

inline double warmupLinearDecay(double lr, int64_t warmup, int64_t steps, int64_t step)
{
    if (step < warmup)
        return lr * double(step + 1) / double(warmup);
    const double rest = double(std::max<int64_t>(1, steps - warmup));
    return lr * std::max(0.0, 1.0 - double(step - warmup) / rest);
}

} // namespace moewb
