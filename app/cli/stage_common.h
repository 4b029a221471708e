// Pieces the stage commands share (search, decompose, apply, eval --plan, run): opening the model for
// computation, the session, the calibration blocks and the plans in a session.
#pragma once
#include "core/calib/dataset.h"
#include "core/model/moe_model.h"
#include "core/plan/plan.h"
#include "core/session/session.h"

#include <memory>
#include <string>

namespace moewb::cli {

torch::ScalarType parseComputeDtype(const std::string& name); // fp32, fp64, bf16
// Opens the model resident or streamed as the global --residency decides (core/model/residency.h).
std::unique_ptr<MoeModel> openComputeModel(const std::string& path, torch::ScalarType dtype,
                                           const torch::Device& device = torch::kCPU);

// The session at `path`, or a new one when no file exists there; fails when it could not be saved
// there (Session::requireSavable), before the command's work.
Session openOrCreateSession(const std::string& path);

// "cpu", "cuda" (= cuda:0) or "cuda:N", checked against what this LibTorch build and machine offer.
torch::Device parseDevice(const std::string& name);

struct CalibrationRequest {
    std::string model;      // folder holding tokenizer.json unless `tokenizer` is set
    std::string calib;      // text (plain or JSONL) or .ids; empty: the file the session names
    std::string tokenizer;
    int64_t samples = 32, sequenceLength = 128;
    uint64_t seed = 0;
};
// Calibration windows drawn at random (seeded). With `calib` empty the session's settings are used
// (file, samples, length, seed); `command` prefixes the errors.
TokenBlocks loadCalibrationBlocks(const CalibrationRequest& request, const Session& session, const ModelSpec& spec,
                                  const std::string& command);

// The plan named `name` in the session; the error lists the plans it holds.
const Plan& sessionPlan(const Session& session, const std::string& name, const std::string& sessionPath);

// The model folder a session-based command works on: `override` (--model) when given, else the one the
// session names. Fails naming the session when it names none, or when the folder is not there (moved,
// or a relative path recorded by an older version, from another working directory): pass --model.
std::string sessionModelPath(const Session& session, const std::string& override, const std::string& sessionPath,
                             const std::string& command);
// Fails unless `model` is the checkpoint the session was made from (its identity hash), wherever it lies
// (Session::requireModel). Every command that uses a session's plans or stores into it checks this.
void requireSessionModel(const Session& session, const MoeModel& model);

// Seconds since `start`.
double secondsSince(std::chrono::steady_clock::time_point start);

} // namespace moewb::cli
