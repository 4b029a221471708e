// Internal helpers shared by the metrics: batch sizes and progress scaled into a sub-range.
#pragma once
#include "core/eval/eval_types.h"
#include "core/io/error.h"

#include <algorithm>

namespace moewb::eval_detail {

inline int64_t rowsPerBatch(int64_t batchTokens, int64_t rowLength)
{
    return std::max<int64_t>(1, batchTokens / std::max<int64_t>(1, rowLength));
}

// Maps the fraction of one step (a forward pass) onto [lo, hi] of the caller's progress.
inline ProgressFn subProgress(const ProgressFn& progress, double lo, double hi)
{
    if (!progress)
        return {};
    return [progress, lo, hi](double f) { return progress(lo + (hi - lo) * std::clamp(f, 0.0, 1.0)); };
}

inline void report(const ProgressFn& progress, double fraction)
{
    if (progress && !progress(fraction))
        throw Cancelled();
}

} // namespace moewb::eval_detail
