// The analysis stage into a session file (docs/analysis.md): source and calibration settings, router
// statistics, importance tables, per-layer pruning counts and (when they fit) the block inputs of
// every MoE layer. Results already in the session for the same model and calibration data are reused;
// the pruning counts are always reallocated (cheap) from the importance and the current ratio.
#pragma once
#include "core/analysis/allocation.h"
#include "core/analysis/importance.h"
#include "core/calib/dataset.h"
#include "core/session/session.h"

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moewb {

struct SessionAnalysisOptions {
    double ratio = 0.25;           // rho (methods.md 1.2)
    std::map<int, int> overrides;  // decoder layer -> P_l fixed by hand
    int64_t batchTokens = 2048;    // tokens through a layer at once
    // Block inputs are stored when all of them together take at most this many bytes (0: never);
    // they stay in memory until the final save.
    int64_t maxBlockInputBytes = int64_t{1} << 30;
    bool recompute = false;  // ignore cached router statistics and importance
    std::function<void(const LayerAnalysis&)> onLayer;
    std::function<bool(double)> progress;  // fraction of the calibration pass; false cancels
};

struct SessionAnalysisResult {
    bool reused = false;              // router statistics and importance came from the session
    std::vector<std::string> dropped; // stale sections removed (other calibration data)
    std::vector<LayerAnalysis> layers;  // one per MoE layer (from the cache when reused)
    Allocation allocation;            // counts parallel to `layers`
    int blockInputsStored = 0;        // MoE layers whose block input the session now holds
    int64_t blockInputBytes = 0;      // what storing all of them takes (f32)
    double seconds = 0;               // wall time of the calibration pass (0 when reused)
};

// Makes `session` describe `model` and `blocks` before a stage computes into it: fails without changing
// anything when the session was made from another checkpoint (Session::requireModel), drops the
// sections computed from other calibration data, and records the source and calibration settings.
// Returns the dropped sections.
std::vector<std::string> bindSession(Session& session, const MoeModel& model, const TokenBlocks& blocks);

// Fills `session` (bindSession first) and saves it to `path`. Before the calibration pass the session (source and
// calibration settings, stale sections dropped) is saved once, so a cancelled or failed pass leaves a
// valid session on disk; saves are atomic. Throws moewb::Cancelled when progress returns false.
SessionAnalysisResult analyzeIntoSession(const MoeModel& model, const TokenBlocks& blocks, Session& session,
                                         const std::filesystem::path& path, const SessionAnalysisOptions& options = {});

// Block inputs in a session: activations "layer_NNN/block_input", f32 [n, s, d], stamped with the model
// and calibration data hashes.
std::string blockInputName(int layer);
// The stored block input of decoder layer `layer` as a float tensor [n, s, d]; throws moewb::Error
// naming the session when it is absent.
torch::Tensor loadBlockInput(const Session& session, int layer);
// Decoder layers whose block input the session holds, ascending.
std::vector<int> storedBlockInputLayers(const Session& session);

} // namespace moewb
