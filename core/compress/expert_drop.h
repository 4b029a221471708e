// Expert Drop (methods.md §2, seed 001): one-shot expert trimming by router mass. An expert's score
// is the mean over the calibration tokens of its full-softmax routing probability; for DeepSeek-style
// routers (the reference reads the gate's top-k output) the top-k combine weights scattered into an
// E-vector, i.e. selection frequency x mean gate weight. `layerwise` drops the same number of
// lowest-scoring experts in every MoE layer; `global` drops the lowest scores over all layers, so
// counts differ per layer, never leaving a layer with fewer than top-k experts.
#pragma once
#include "core/analysis/calibration.h"
#include "core/plan/plan.h"
#include "core/session/session_types.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace moewb {

class Session;

enum class ExpertDropMode { Layerwise, Global };
enum class ExpertScoreKind { Auto, SoftmaxMass, GateWeight };

std::string expertDropModeName(ExpertDropMode mode); // "layerwise" / "global"
ExpertDropMode parseExpertDropMode(const std::string& name);
std::string expertScoreName(ExpertScoreKind kind); // "auto" / "softmax" / "gate"
ExpertScoreKind parseExpertScore(const std::string& name);
// Auto: GateWeight for DeepSeek / DeepSeek-V2, SoftmaxMass otherwise.
ExpertScoreKind resolveScoreKind(const ModelSpec& spec, ExpertScoreKind kind);

struct ExpertScores {
    ExpertScoreKind kind = ExpertScoreKind::SoftmaxMass;
    std::vector<int> layers;                 // MoE decoder layers
    std::vector<std::vector<int>> experts;   // per layer: source expert ids scored
    std::vector<std::vector<double>> scores; // per layer, parallel to `experts`
    std::vector<RoutingStats> routing;       // per layer, when computed by a pass (empty from a session)
};

// Scores from routing statistics of one layer (RoutingStats of calibration.h).
std::vector<double> expertScores(const RoutingStats& routing, ExpertScoreKind kind);

// Scores of every MoE layer of `model` on `blocks` [n, s] (one calibration pass).
ExpertScores computeExpertScores(const MoeModel& model, const torch::Tensor& blocks, ExpertScoreKind kind,
                                 int64_t batchTokens = 2048, const std::function<bool(double)>& progress = {});

// Router statistics of a pass for the session (RouterStats rows over source expert ids; only
// unpruned models fill every column). Requires `routing`.
RouterStats routerStatsOf(const ExpertScores& scores);

// Scores from a session's router statistics when they match its current stamp and cover the
// model's MoE layers; nullopt otherwise.
std::optional<ExpertScores> expertScoresFromSession(const Session& session, const ModelSpec& spec, ExpertScoreKind kind);

struct ExpertDropOptions {
    ExpertDropMode mode = ExpertDropMode::Layerwise;
    double ratio = 0.25;  // fraction of routed experts dropped (layerwise: of each layer's)
    int preserveN = 0;    // > 0: experts kept per layer (global: preserveN x MoE layers in total)
    ExpertScoreKind score = ExpertScoreKind::Auto;
};

// The plan: one RemoveExperts step per layer that loses experts. Layerwise drops round(ratio x E_l)
// (or E_l - preserveN) per layer; global drops round(ratio x sum E_l) (or sum E_l - preserveN x L)
// lowest scores overall (ties: earlier layer, lower expert id) skipping layers already at top-k.
// Throws moewb::Error when the request would leave a layer (layerwise) or the model (global) below
// top-k, or when preserveN keeps more experts than a layer has (layerwise) or drops none. Parameters record mode, ratio / preserve_n, score kind and the experts kept per layer.
Plan expertDropPlan(const ModelSpec& spec, const ExpertScores& scores, const ExpertDropOptions& options);

} // namespace moewb
