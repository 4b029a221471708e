// Forward throughput of a model, measured so that models compare: an evaluation pass's own tokens/s
// (RunStats) includes the metric's work and, for the first model measured, one-time costs (allocator,
// thread pool, first touch of fresh weights), so the Compare tab's speeds favoured whichever model was
// measured later (355 tokens/s for the original against 4,417 for a plan of the same size).
// Here: an untimed warm-up pass when asked, then `repeats` timed forward passes over the same ids, no
// metric; the fastest pass counts (the one least disturbed by other work on the machine).
#pragma once
#include "core/eval/eval_types.h"

namespace moewb {

class MoeModel;

struct Throughput {
    double tokensPerSecond = 0; // ids.numel() / the fastest timed pass
    double bestSeconds = 0;     // that pass's wall time
    int64_t tokens = 0;         // tokens a pass
    int repeats = 0;            // timed passes
    bool warmedUp = false;      // an untimed pass ran first
};

// `model` is called warm-up (if `warmUp`) + `repeats` times on `ids` [n, s]; repeats >= 1.
// `progress` gets the fraction of all passes (inside a pass too); false stops (moewb::Cancelled).
Throughput measureThroughput(const LogitsFn& model, const torch::Tensor& ids, int repeats, bool warmUp,
                             const ProgressFn& progress = {});
// A model's forward pass; warms up only when it is resident (a streamed model's first pass costs what
// every pass costs: reading its layers).
Throughput measureThroughput(const MoeModel& model, const torch::Tensor& ids, int repeats,
                             const ProgressFn& progress = {});

} // namespace moewb
