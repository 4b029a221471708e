// The MoE-I² pruning search as one stage on a session (CLI `search` and `run`, the GUI worker):
// analysis (importance and pruning counts, reused when the session has them), the calibration pass
// that captures the search inputs, the per-layer genetic search and the KT block search; the
// LayerSearch / BlockSearch records and the removal plan go into the session (the caller saves).
// A plan of the same name made with the same parameters on the same model and data is reused. With
// the block search, the genetic search's own choice (each layer's best set) is stored too, as
// "<plan name>-ga", for comparisons.
#pragma once
#include "core/analysis/session_analysis.h"
#include "core/search/model_search.h"
#include "core/search/search_inputs.h"

#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace moewb {

struct SearchStageOptions {
    SessionAnalysisOptions analysis;  // ratio, overrides, batchTokens (its progress is set from `progress`)
    ModelSearchOptions search;        // genetic (keep = K), kt (blockSize = T), blockSearch, planName
    bool recompute = false;           // search again even when the session holds a matching plan
    // Progress of each stage: "analysis", "calibration", "genetic search", "block search"; false cancels.
    std::function<bool(const std::string& stage, double fraction)> progress;
    // Every generation of every layer (after `progress`), e.g. for live convergence plots.
    std::function<void(int layer, const GenerationStats&)> onGeneration;
};

struct SearchStageResult {
    bool reused = false;
    SessionAnalysisResult analysis;
    ModelSearchResult search;     // layers/blocks empty when reused
    int totalGenerations = 0;
    double calibrationSeconds = 0, geneticSeconds = 0, blockSeconds = 0;
    const Plan* plan = nullptr;   // the plan in the session
};

// The parameters that decide a search's result: its plan records them (with the per-layer counts),
// and a plan whose parameters match is reused.
nlohmann::json searchParameters(const ModelSearchOptions& search, double ratio, const std::string& calibrationHash);

// Writes a finished search into the session, replacing the previous one: the layer and block records,
// the plan `search.planName` (removalPlan, with `parameters` and "counts"; refused when invalid)
// and, with `blocks`, the genetic search's own choice as "<planName>-ga"; provenance "search". The
// CLI (searchIntoSession) and the GUI worker (its cached stages) both store through this.
const Plan& storeSearch(Session& session, const ModelSpec& spec, const std::vector<LayerSearch>& layers,
                        const BlockSearch* blocks, const ModelSearchOptions& search, const nlohmann::json& parameters,
                        const std::map<int, int>& counts);

// `sessionPath`: where analyzeIntoSession saves its intermediate state.
SearchStageResult searchIntoSession(const MoeModel& model, const TokenBlocks& blocks, Session& session,
                                    const std::filesystem::path& sessionPath, SearchStageOptions options);

} // namespace moewb
