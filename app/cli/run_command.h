// moe-compress run --method M MODEL --calib FILE [--session S.h5] [method options] [--eval-text FILE]
// [--tasks FILE] [--json]: one compression method end to end. The common part (cmd_run.cpp) opens the
// model and the session, loads the calibration blocks, calls the method, which returns a plan, stores
// the plan, applies it to a copy of the model and evaluates it against the original (perplexity, KL,
// tasks, parameters, bytes, tokens/s), stores the evaluation and prints a summary (or --json).
//
// A method lives in its own file (run_moe_i2.cpp, run_holistic.cpp, run_condense.cpp) and is listed in
// runMethods() (cmd_run.cpp). It adds its own options to the `run` command in an option group named
// after it, and reads them from its own captured state when called.
#pragma once
#include "app/cli/commands.h"
#include "core/calib/dataset.h"
#include "core/plan/plan.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace moewb {
class MoeModel;
class Session;
} // namespace moewb

namespace moewb::cli {

// Options every method shares.
struct RunOptions {
    std::string method = "moe-i2";
    std::string model, calib, session, tokenizer, recipe, planName;
    std::string evalText, tasks;      // evaluation data (default: the calibration file for perplexity/KL)
    std::string dtype = "fp32", device = "cpu";
    int64_t samples = 32, sequenceLength = 128, batchTokens = 2048;
    int64_t evalBlocks = 0, evalLength = 0; // 0: every window; the calibration length
    uint64_t seed = 0, calibSeed = 0;
    bool json = false, noEval = false;
};

struct RunContext {
    const RunOptions& options;
    const GlobalOptions& global;
    MoeModel& model;                 // the source model; methods must not install plans on it
    Session& session;                // saved by the common part after the method returns
    std::string sessionPath;         // where the session is saved (stages may save intermediate states)
    const TokenBlocks& calibration;  // options.samples blocks of options.sequenceLength tokens
    // Stage timings the summary prints and the session's provenance keeps ("analysis", "search", ...).
    std::vector<std::pair<std::string, double>> timings;
    // Extra facts for the summary / --json ("exhaustive_layers": 3, ...).
    nlohmann::json details = nlohmann::json::object();
};

struct RunMethod {
    std::string name;         // --method value
    std::string description;  // one line for --help
    // Adds the method's options to `run` (use an option group named after the method).
    std::function<void(CLI::App& run)> addOptions;
    // Computes the plan (name and method filled in; the common part validates and stores it).
    std::function<Plan(RunContext& context)> run;
};

// The session describes the context's model and calibration blocks (bindSession: a session made from
// another model is refused, sections from other calibration data are dropped, as `analyze` does); the
// common part calls it before every method.
void prepareSession(RunContext& context);

// Every method `run` knows (cmd_run.cpp lists them).
std::vector<RunMethod> runMethods();

// One per method file.
RunMethod moeI2Method();
RunMethod expertDropMethod(), layerDropMethod(), blockDropMethod(), wandaMethod(), sparseGptMethod(); // run_holistic.cpp
RunMethod condenseMethod();

// run (cmd_run.cpp)
void registerRun(CLI::App& app, GlobalOptions& global);

} // namespace moewb::cli
