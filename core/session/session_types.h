// Value types of a session's sections: plain C++ (no LibTorch, no HDF5), so the GUI and the CLI
// can hold and draw them directly. Layer and expert indices are the source model's numbering.
#pragma once
#include "core/plan/plan.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace moewb {

// A dense row-major array. uint16_t arrays in the session hold bf16 bit patterns.
template <typename T> struct Array {
    std::vector<int64_t> shape;
    std::vector<T> data;
    int64_t numel() const
    {
        int64_t n = 1;
        for (int64_t d : shape)
            n *= d;
        return n;
    }
    bool operator==(const Array&) const = default;
};

enum class ElementType { F32, F64, BF16, U8, I32, I64 };
std::string elementTypeName(ElementType type); // "f32", "f64", "bf16", "u8", "i32", "i64"

// What a cached result was computed from: the model's identity hash and the calibration data's
// hash. Setters fill an empty stamp from the session's current source and calibration.
struct CacheStamp {
    std::string modelHash;
    std::string dataHash; // empty for results that do not depend on calibration data
    bool empty() const { return modelHash.empty() && dataHash.empty(); }
    bool operator==(const CacheStamp&) const = default;
};

struct SourceModel {
    std::filesystem::path path; // folder or .safetensors file
    std::string configJson; // config.json text as read
    std::string identityHash; // Checkpoint::identityHash(): headers and sizes
    bool operator==(const SourceModel&) const = default;
};

struct CalibrationSettings {
    std::filesystem::path dataPath;
    int64_t samples = 0; // n sequences
    int64_t sequenceLength = 0; // s tokens
    uint64_t seed = 0;
    std::string dataHash; // hash of the tokenised calibration set
    bool operator==(const CalibrationSettings&) const = default;
};

// Router statistics on the calibration set; tables are [layers.size() x experts].
struct RouterStats {
    std::vector<int> layers; // MoE layer of each row
    Array<double> selectionFrequency; // fraction of tokens that selected the expert
    Array<double> meanGateWeight; // mean gate weight when selected (CD-MoE's wbar)
    Array<double> softmaxMass; // mean full-softmax probability (Expert Drop's score)
    CacheStamp stamp;
    bool operator==(const RouterStats&) const = default;
};

struct ImportanceTables {
    std::vector<int> layers; // MoE layer of each row
    Array<double> expertLoss; // [layers x experts]: loss_l({j}) (methods.md 1.2)
    std::vector<double> layerImportance; // [layers]
    CacheStamp stamp;
    bool operator==(const ImportanceTables&) const = default;
};

// Per-layer pruning counts allocated from the layer importance (methods.md 1.2).
struct PruningCounts {
    std::vector<int> layers; // MoE layer of each entry
    std::vector<int> counts; // P_l
    std::vector<int> overridden; // 1 where the user fixed P_l by hand
    double ratio = 0; // rho, the global fraction of routed experts to remove
    int64_t requested = 0; // P = round(rho * sum E_l)
    CacheStamp stamp;
    bool operator==(const PruningCounts&) const = default;
};

struct SearchCandidate {
    std::vector<int> experts; // experts to prune
    double fitness = 0; // reconstruction loss, lower is better
    bool operator==(const SearchCandidate&) const = default;
};

// One MoE layer's genetic (or exhaustive) search.
struct LayerSearch {
    int layer = 0;
    int pruneCount = 0; // P_l: the size of every set below
    bool exhaustive = false; // true: every set was enumerated
    int64_t evaluations = 0; // distinct sets whose loss was computed
    nlohmann::json parameters = nlohmann::json::object(); // N, G, seed, ...
    std::vector<double> bestFitness, meanFitness, worstFitness; // per generation
    std::vector<std::vector<int>> bestSets; // per generation
    std::vector<SearchCandidate> candidates; // the K best, best first
    CacheStamp stamp;
    bool operator==(const LayerSearch&) const = default;
};

// One block of the KT-reception field search (methods.md 1.4).
struct BlockResult {
    std::vector<int> layers; // the block's MoE layers
    std::vector<int> chosen; // candidate index picked for each layer
    // Loss of every combination, K^T of them; combination c picks candidate (c / K^(T-1-i)) % K for
    // layer i (the first layer is the most significant digit).
    std::vector<double> losses;
    bool operator==(const BlockResult&) const = default;
};

struct BlockSearch {
    int candidatesPerLayer = 0; // K
    int blockSize = 0; // T
    std::vector<BlockResult> blocks;
    CacheStamp stamp;
    bool operator==(const BlockSearch&) const = default;
};

struct SessionPlan {
    Plan plan;
    CacheStamp stamp; // the model it was made for (dataHash empty)
    bool operator==(const SessionPlan&) const = default;
};

struct Evaluation {
    std::string name;
    std::string plan; // evaluated plan's name; empty: the original model
    std::map<std::string, double>
        metrics; // "perplexity", "kl", "acc:hellaswag", "params", "bytes", "tokens_per_s"
    nlohmann::json details = nlohmann::json::object(); // anything else (per-task tables, settings)
    CacheStamp stamp;
    bool operator==(const Evaluation&) const = default;
};

struct Provenance {
    std::string createdWith; // tool version that created the session
    std::string savedWith; // tool version that last saved it (set by save())
    nlohmann::json parameters = nlohmann::json::object(); // the run's parameters
    std::map<std::string, double> timings; // stage -> seconds
    bool operator==(const Provenance&) const = default;
};

struct ArrayInfo {
    std::vector<int64_t> shape;
    ElementType type = ElementType::F32;
    CacheStamp stamp;
};

// Which cached sections no longer match the model/data the caller has (Session::checkCompatibility).
struct CompatibilityReport {
    bool modelChanged = false; // the session's source identity hash differs
    bool dataChanged = false; // the session's calibration data hash differs
    // "router_stats", "importance", "allocation", "search/layer_003", "blocks", "plans/<name>",
    // "evaluations/<name>", "activations/<name>", "tensors/<name>"
    std::vector<std::string> staleSections;
    bool ok() const { return staleSections.empty(); }
    // True for `section` itself or anything under it ("search" covers "search/layer_003").
    bool isStale(const std::string& section) const;
    std::string describe() const; // one paragraph for a dialog or the CLI
};

} // namespace moewb
