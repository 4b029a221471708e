// MoE-I² stages on a session, shared by the CLI (decompose, run) and the GUI worker: each reads what
// it needs from the session, reuses a result that is already there for the same inputs, and leaves
// its result in the session (the caller saves).
#pragma once
#include "core/lowrank/decompose.h"
#include "core/session/session.h"

#include <filesystem>
#include <string>

namespace moewb {

struct DecomposeStageOptions {
    DecomposeOptions decompose;       // planName names the result plan; factorPrefix = planTensorPrefix("factors", planName)
    std::string pruningPlan;          // plan in the session to start from; empty: the unpruned model
    bool recompute = false;           // ignore a matching plan already in the session
};

struct DecomposeStageResult {
    bool reused = false;              // the session already held this plan with these parameters
    DecomposeResult result;           // empty tensors/reports when reused
    const Plan* plan = nullptr;       // the plan in the session
};

// Opens the model at `modelPath` again (so the caller's model keeps no plan), applies the pruning
// plan, decomposes its experts on `blocks` and stores the factor tensors (replacing the plan's older
// ones) and the plan in `session`. Counts "decompose" in core/pipeline/compute_counter.h when it computes.
DecomposeStageResult decomposeIntoSession(const std::filesystem::path& modelPath, const ComputeOptions& compute,
                                          const torch::Tensor& blocks, Session& session,
                                          DecomposeStageOptions options);

} // namespace moewb
