// Plain values the worker bridge hands to the GUI thread (queued signals, copies): no LibTorch, no
// Session, so widgets and tests can hold them. Layer and expert indices are the model's numbering.
#pragma once
#include "app/gui/method_types.h"

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace moewb {
struct ModelSpec;
}

namespace moewb::gui {

// Settings of an analysis / search run (the same parameters `moe-compress analyze/search` take) and
// of the low-rank stage that follows (decomposition rate, alpha, SVD mode).
struct RunSettings {
    QString method = QStringLiteral("moe-i2"); // `moe-compress run --method` name
    QString device = QStringLiteral("cpu"); // "cpu", "cuda:N"
    QString calibrationPath; // text or JSONL; empty: resources/demo/calib.txt
    int samples = 16; // n calibration blocks
    int sequenceLength = 128; // s tokens a block
    quint64 calibrationSeed = 0;
    double ratio = 0.25; // fraction of routed experts to remove
    int population = 40; // N
    int generations = 25; // G
    quint64 seed = 0; // search seed
    int candidates = 3; // K
    int blockSize = 3; // T
    bool recompute = false; // ignore cached importance for this model and data
    bool forceGenetic = false; // search genetically even where enumerating the sets is cheaper
    std::map<int, int> countOverrides; // decoder layer -> P_l fixed by hand
    double decompositionRate = 0.3; // r_d: fraction of surviving expert parameters removed by low rank
    double alpha = 0.15; // rank allocation exponent on expert importance
    bool activationAware = true; // SVD mode: activation-aware (whitened) or plain
    std::map<std::pair<int, int>, int> rankOverrides; // (layer, expert) -> rank fixed by hand
    // Run ▸ Decompose factors the surviving experts of this session plan (empty: of the unpruned
    // model); the result is the plan decomposedPlanName(decomposeFrom).
    QString decomposeFrom = QStringLiteral("moe-i2-search");
    MethodParameters methodParameters; // the other methods' (app/gui/method_types.h)
    // Tokens through a layer at once in every pass over the calibration or evaluation blocks (whole
    // blocks, at least one; `run --batch-tokens`): memory against speed, the results do not depend on it.
    int batchTokens = 2048;
};

// Run ▸ Apply & evaluate: held-out text (perplexity, KL to the original) and a multiple-choice task.
struct EvalSettings {
    QString textPath; // empty: resources/demo/eval.txt
    int windows = 16; // n windows of
    int windowLength = 128; // s tokens (capped at the model's context)
    QString tasksPath; // JSONL; empty: resources/demo/tasks.jsonl
    int maxQuestions = 100; // 0: every question
    int batchTokens = 2048; // as RunSettings::batchTokens (the Parameters dock's, set when evaluating)
};

struct ExpertNode {
    int id = 0;
    int64_t parameters = 0;
    int64_t bytes = 0;
};

struct LayerNode {
    int index = 0;
    bool moe = false;
    int64_t attentionParameters = 0, attentionBytes = 0;
    int64_t mlpParameters = 0, mlpBytes = 0; // dense MLP, or the whole MoE block
    int64_t routerParameters = 0, routerBytes = 0, sharedParameters = 0, sharedBytes = 0;
    int topK = 0;
    std::vector<ExpertNode> experts; // empty for dense layers and fused layouts
};

struct ModelSummary {
    // The open model's spec (core/io/model_spec.h, no LibTorch), for checks that count parameters as
    // core does (a CD-MoE parameter target); null in summaries made by hand.
    std::shared_ptr<const ModelSpec> spec;
    QString path, name, architecture, device;
    int64_t parameters = 0, bytes = 0;
    int maxExperts = 0;
    std::vector<int> moeLayers;
    std::vector<LayerNode> layers;
};

// One MoE layer's analysis: columns are expert ids (NaN where the layer has no such expert).
struct LayerRow {
    int layer = 0;
    int moeIndex = 0;
    double importance = 0;
    std::vector<double> removalLoss, selectionFrequency, meanGateWeight, softmaxMass;
};

struct AllocationInfo {
    std::vector<int> layers; // MoE layers
    std::vector<double> importance; // I_l
    std::vector<int> counts; // P_l
    std::vector<int> overridden; // 1 where P_l was fixed by hand
    double ratio = 0;
};

struct GenerationPoint {
    int layer = 0;
    int generation = 0;
    double best = 0, mean = 0, worst = 0;
};

struct BlockRow {
    std::vector<int> layers;
    std::vector<int> chosen; // candidate index per layer (0 = the layer's best set)
    double chosenLoss = 0; // loss of the chosen combination
    double bestSetsLoss = 0; // loss of every layer's best set (combination 0)
    int combinations = 0;
};

// One evaluation stored in the session (moe-compress eval, Run ▸ Apply & evaluate).
struct EvaluationRow {
    QString name;
    QString plan; // empty: the original model
    std::map<QString, double> metrics; // "perplexity", "kl", "acc:<task>", "params", "bytes", "tokens_per_s"
};

// One MoE layer of a low-rank plan (its factor_experts step): the Ranks tab.
struct RankLayer {
    int layer = 0;
    qint64 m = 0, n = 0; // expert matrix shape (hidden size x expert width)
    std::map<int, int> ranks; // factored expert -> rank
    std::vector<int> denseExperts; // surviving experts left dense
};

// Everything the views draw, read back from a session (open, or after a cancelled run).
struct SessionSnapshot {
    QString path;
    std::vector<LayerRow> rows;
    AllocationInfo allocation;
    std::map<int, std::vector<GenerationPoint>> generations; // by layer
    std::vector<BlockRow> blocks;
    std::map<int, std::vector<int>> removed; // the plan: layer -> experts
    std::vector<EvaluationRow> evaluations; // the original's first
    // Every plan with factored experts, its layers (needs the model's shapes), and the one the Ranks tab
    // shows first: the plan Decompose made last, else the first by name (empty: none).
    std::map<QString, std::vector<RankLayer>> factoredPlans;
    QString rankPlan;
    QStringList plans; // every plan's name
    QStringList recoveredPlans; // the LoRA recoveries among them (core/train/lora_run.h isRecoveredPlan)
    QString workingPath; // the file the worker saves the session to: path, or untitled.h5 in its scratch folder
    QStringList decomposable; // the plans Run ▸ Decompose can start from (none factors experts yet)
};

// The plan Run ▸ Decompose makes from `from` (RunSettings::decomposeFrom): "moe-i2" from the search's
// plan (MoE-I²: pruning, then low rank), "moe-i2-lowrank" from the unpruned model (as `moe-compress
// decompose --no-pruning`), NAME-lowrank from any other plan NAME.
inline QString decomposedPlanName(const QString& from)
{
    if (from == QLatin1String("moe-i2-search"))
        return QStringLiteral("moe-i2");
    if (from.isEmpty())
        return QStringLiteral("moe-i2-lowrank");
    return from + QStringLiteral("-lowrank");
}

} // namespace moewb::gui

Q_DECLARE_METATYPE(moewb::gui::RunSettings)
Q_DECLARE_METATYPE(moewb::gui::EvalSettings)
Q_DECLARE_METATYPE(moewb::gui::ModelSummary)
Q_DECLARE_METATYPE(moewb::gui::LayerRow)
Q_DECLARE_METATYPE(moewb::gui::AllocationInfo)
Q_DECLARE_METATYPE(moewb::gui::GenerationPoint)
Q_DECLARE_METATYPE(moewb::gui::BlockRow)
Q_DECLARE_METATYPE(moewb::gui::SessionSnapshot)
