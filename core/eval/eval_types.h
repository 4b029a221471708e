// Evaluation: the model abstraction every metric runs on, the options they share, and the results
// (plain values, so the GUI and the CLI can show them without tensors).
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace moewb {

class MoeModel;
struct ForwardOptions;

// Fraction done in [0, 1]; returning false cancels (the metric throws moewb::Cancelled).
using ProgressFn = std::function<bool(double)>;

// Next-token logits of a batch: ids [B, T] int64 (rows right-padded when lengths differ) ->
// logits [B, T, V], any floating dtype, any device. `progress` reports the fraction of this call.
// Metrics take this rather than a model so that tests can hand them made-up logits, and so that
// a model with overrides (experts removed, layers dropped) is evaluated through the same code.
using LogitsFn = std::function<torch::Tensor(const torch::Tensor& ids, const ProgressFn& progress)>;

// `model` through MoeModel::forward, with `base` options (overrides ...); the model must outlive it.
LogitsFn modelLogits(const MoeModel& model);
LogitsFn modelLogits(const MoeModel& model, const ForwardOptions& base);

struct EvalOptions {
    // Tokens per forward pass (rows x row length, at least one row): bounds the [B, T, V] logits.
    // Streamed models materialise every layer once per pass, so larger batches amortise that.
    int64_t batchTokens = 2048;
    ProgressFn progress;
    // Names the model in errors, e.g. "qwen (original)": a next-token loss that is not a finite number
    // (NaN or infinite logits) stops the metric with an error rather than report "perplexity nan".
    std::string model;
};

// What one evaluation stage cost: wall time, tokens through the model and the working set.
struct RunStats {
    int64_t tokens = 0; // tokens fed to the model (padding excluded)
    int64_t forwardPasses = 0;
    double seconds = 0; // wall time of the whole stage (forward passes and the metric's own work)
    double tokensPerSecond = 0;
    int64_t startRssAnonBytes = 0; // RssAnon when the stage began
    int64_t peakRssAnonBytes = 0; // highest RssAnon sampled during the stage (every 5 ms and per pass)
};

struct PerplexityResult {
    double perplexity = 0; // exp(meanNll)
    double meanNll = 0; // mean next-token cross-entropy in nats
    int64_t predictedTokens = 0; // n x (s - 1): a window's first token has no prediction
    int64_t windows = 0;
    int64_t windowLength = 0;
    RunStats run;
};

struct KlResult {
    // mean over every position of every block of KL(P_reference || P_candidate) in nats
    double meanKl = 0;
    double maxKl = 0; // largest per-token value
    double top1Agreement = 0; // fraction of positions where both models' most likely token agree
    int64_t tokens = 0;
    // 0: exact over the full vocabulary. K > 0: the reference kept its top K tokens and the rest of
    // its mass as one bucket, and the candidate is coarsened the same way (a lower bound of the exact
    // value by the data-processing inequality; exact when K covers the vocabulary).
    int64_t topK = 0;
    PerplexityResult reference, candidate; // both on the same blocks (reference.run: capture stage)
};

} // namespace moewb
