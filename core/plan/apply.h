// Applying a plan: the model a plan describes, built in memory so the forward pass runs it directly.
// Removed experts are gone (router rows and expert weights), factored matrices are two matmuls
// (never multiplied back), dropped sublayers and blocks are skipped, condensed layers have no
// router, masks zero their weights, deltas are added. docs/plans.md describes the conventions.
//
// Streaming: resident layers are rewritten at once; a streamed model gets a layer transform, so each
// layer is rewritten when it is materialised for a pass and the working set stays one layer.
#pragma once
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <functional>
#include <string>

namespace moewb {

class Session;

// Reads a tensor the plan references by name (factors, masks, deltas). Returned on the CPU in the
// stored element type (f32, bf16, u8); the applier converts.
using PlanTensorSource = std::function<torch::Tensor(const std::string& name)>;
// The session's tensor store (core/session): a moewb::Error names the session and tensor when absent.
// The session must outlive the source; not thread-safe (like Session).
PlanTensorSource sessionTensorSource(const Session& session);
// Stores a CPU tensor (f32, f64, bf16 or u8) in the session's tensor store under `name`.
void putSessionTensor(Session& session, const std::string& name, const torch::Tensor& tensor);
// Reads one tensor of the store as a torch tensor (f32 / f64 / bf16 / u8 / i32 / i64).
torch::Tensor sessionTensor(const Session& session, const std::string& name);
// Where a plan's own tensors live in the store: "<kind>/<plan name>" ("factors/moe-i2",
// "lora/moe-i2-lora") with characters other than [A-Za-z0-9._-] in the name replaced by '_'.
std::string planTensorPrefix(const std::string& kind, const std::string& planName);
// Refuses (moewb::Error naming both plans) to store plan `planName`'s tensors under
// "<folderOf(planName)>/" when another plan whose name `folderOf` maps to the same folder keeps tensors
// there: different names can make one folder name (planTensorPrefix("deltas", "a b") ==
// planTensorPrefix("deltas", "a_b"), and every non-ASCII name of a length), and removing the folder
// before a run would break that plan.
void claimTensorFolder(const Session& session, const std::string& planName,
                       const std::function<std::string(const std::string&)>& folderOf);
// Removes every tensor of the store under "<prefix>/" (a plan's tensors before they are recomputed).
void removeSessionTensors(Session& session, const std::string& prefix);

// Rewrites one layer's weights as `layer` (resolved) says. `deltas` are all of the plan's deltas;
// those naming this layer's tensors are added. Throws moewb::Error naming the plan step's problem
// (a missing tensor, a mask or factor of the wrong shape, an activation-aware factor never computed).
void applyToLayer(const ModelSpec& spec, const ResolvedLayer& layer, const std::vector<ApplyDelta>& deltas,
                  DecoderLayerWeights& weights, const PlanTensorSource& tensors);

struct AppliedModelInfo {
    uint64_t parameters = 0;     // every weight the applied model holds (factors count r(m+n))
    uint64_t weightBytes = 0;    // at the checkpoint's element size (what export writes)
    int keptLayers = 0;
};

// Installs `plan` on `model` (validated with resolvePlan first). Resident layers are rewritten now;
// streamed layers as they are loaded. A model carries at most one plan: applying again throws.
// `tensors` must stay valid while the model is used when the model streams.
AppliedModelInfo applyPlan(MoeModel& model, const Plan& plan, PlanTensorSource tensors = {});

} // namespace moewb
