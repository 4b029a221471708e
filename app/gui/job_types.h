// Plain values the worker bridge hands to the GUI thread (queued signals, copies): no LibTorch, no
// Session, so widgets and tests can hold them. Layer and expert indices are the model's numbering.
#pragma once
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <map>
#include <vector>

namespace moewb::gui {

// Settings of an analysis / search run (the same parameters `moe-compress analyze/search` take).
struct RunSettings {
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

// Everything the views draw, read back from a session (open, or after a cancelled run).
struct SessionSnapshot {
    QString path;
    std::vector<LayerRow> rows;
    AllocationInfo allocation;
    std::map<int, std::vector<GenerationPoint>> generations; // by layer
    std::vector<BlockRow> blocks;
    std::map<int, std::vector<int>> removed; // the plan: layer -> experts
};

} // namespace moewb::gui

Q_DECLARE_METATYPE(moewb::gui::RunSettings)
Q_DECLARE_METATYPE(moewb::gui::ModelSummary)
Q_DECLARE_METATYPE(moewb::gui::LayerRow)
Q_DECLARE_METATYPE(moewb::gui::AllocationInfo)
Q_DECLARE_METATYPE(moewb::gui::GenerationPoint)
Q_DECLARE_METATYPE(moewb::gui::BlockRow)
Q_DECLARE_METATYPE(moewb::gui::SessionSnapshot)
