// Compression plans: the one contract between the methods (which produce them), the session file
// (which stores them), the GUI/CLI (which show and edit them) and export (which applies them).
//
// A plan is an ordered list of steps over a *source* model. Every layer and expert index in every
// step is the source model's numbering, never a renumbered one: steps stay meaningful whatever
// came before them, composing two plans is concatenation, and only export renumbers. Tensors a
// step needs (sparsity masks, fine-tuned deltas) are referenced by name ("masks/layer03/expert05/gate")
// and stored in the session file's tensor store, never inline in the plan's JSON.
#pragma once
#include "core/io/model_spec.h"
#include "core/io/param_count.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace moewb {

// Plain: truncated SVD of W. ActivationAware: SVD of W whitened by the Cholesky factor of its
// input's second moment (SVD-LLM style), methods.md 1.5.
enum class SvdMode { Plain, ActivationAware };
// Dense: the tensor has the parameter's shape, W += scale * D. LowRank: two tensors B [out, r] and
// A [r, in], W += scale * B A (LoRA).
enum class DeltaKind { Dense, LowRank };

// Routed experts removed from one MoE layer (MoE-I² pruning, Expert Drop).
struct RemoveExperts {
    int layer = 0;
    std::vector<int> experts;
    bool operator==(const RemoveExperts&) const = default;
};

struct ExpertRank {
    int expert = 0;
    int rank = 0; // applied to each of the expert's three matrices
    SvdMode mode = SvdMode::ActivationAware;
    bool operator==(const ExpertRank&) const = default;
};

// Routed experts of one layer factored as W ~ A B (rank r); experts not listed stay dense.
// `factors`: prefix of the factor tensors in the session's tensor store, computed by the decompose
// stage (core/lowrank): "<factors>/expert005/gate/a" [out, r] and ".../b" [r, in], likewise up and
// down (factorTensorName). Empty: the factors are computed when the plan is applied, which only
// plain SVD can do (activation-aware SVD needs the calibration inputs).
struct FactorExperts {
    int layer = 0;
    std::vector<ExpertRank> ranks;
    std::string factors;
    bool operator==(const FactorExperts&) const = default;
};
// "<prefix>/expert005/gate/a" (a: true) or ".../b".
std::string factorTensorName(const std::string& prefix, int expert, Proj matrix, bool a);

// Layer Drop: the MoE sublayer (post-attention norm, router, experts, shared experts) becomes a
// pure residual skip; attention stays.
struct DropMoeSublayer {
    int layer = 0;
    bool operator==(const DropMoeSublayer&) const = default;
};

// Block Drop: the whole decoder layer is removed.
struct DropBlock {
    int layer = 0;
    bool operator==(const DropBlock&) const = default;
};

// CD-MoE: no router; y = shared(x) + sum_i weights[i] * expert_{keptExperts[i]}(x).
struct CondenseLayer {
    int layer = 0;
    std::vector<int> keptExperts; // k_c routed experts (may be empty: shared experts only)
    std::vector<double> weights; // mean gate weight of each kept expert when selected
    bool operator==(const CondenseLayer&) const = default;
};

// Expert Slimming (Wanda/SparseGPT): a 0/1 mask over one expert matrix. expert = -1 masks the
// shared expert MLP. The mask lives in the tensor store under `maskTensor`.
struct SparsifyMatrix {
    int layer = 0;
    int expert = 0;
    Proj matrix = Proj::Gate; // core/io/tensor_layout.h: gate, up, down (Mixtral w1, w3, w2)
    std::string pattern = "unstructured"; // or "N:M", e.g. "2:4"
    std::string maskTensor;
    int64_t nonZeros = 0; // kept weights, for accounting without reading the mask
    bool operator==(const SparsifyMatrix&) const = default;
};

// Fine-tuning result: a delta added to one parameter of the model the preceding steps produce.
// `parameter` uses the source checkpoint's tensor naming ("model.layers.3.mlp.experts.5.up_proj.weight";
// for a factored matrix append ".A"/".B"). Deltas change values, not sizes.
struct ApplyDelta {
    std::string parameter;
    DeltaKind kind = DeltaKind::Dense;
    std::vector<std::string> tensors; // Dense: {D}; LowRank: {B, A}
    double scale = 1.0;
    bool operator==(const ApplyDelta&) const = default;
};

using PlanStep = std::variant<RemoveExperts, FactorExperts, DropMoeSublayer, DropBlock, CondenseLayer,
    SparsifyMatrix, ApplyDelta>;

struct Plan {
    std::string name;
    std::string method; // "moe-i2", "expert-drop", "cd-moe", ...
    nlohmann::json parameters = nlohmann::json::object(); // the method's parameters, for provenance
    std::vector<PlanStep> steps;

    // Names of every tensor the steps reference (masks, deltas), in step order.
    std::vector<std::string> tensorReferences() const;
    bool operator==(const Plan&) const = default;
};

// ---- The model a plan produces, resolved layer by layer -------------------------------------

struct ResolvedLayer {
    bool blockDropped = false;
    bool moeDropped = false;
    bool condensed = false;
    std::vector<int> experts; // surviving routed experts (source ids, ascending)
    std::map<int, ExpertRank> ranks; // factored experts
    std::map<int, std::string> factors; // factored expert -> tensor prefix (FactorExperts::factors)
    std::vector<double> condensedWeights; // parallel to `experts` when condensed
    std::vector<SparsifyMatrix> sparsity;
};

struct ResolvedPlan {
    std::vector<ResolvedLayer> layers; // one per source layer
    std::vector<ApplyDelta> deltas;
    int keptLayers() const;
};

// Applies the steps in order to `spec`. Throws moewb::Error listing every problem: indices out of
// range, experts removed twice or from a dropped layer, a layer left with fewer than top-k experts,
// ranks outside [1, min(d, f)], condensing a dense layer, weights that do not match kept experts, ...
ResolvedPlan resolvePlan(const ModelSpec& spec, const Plan& plan);
// The same checks, returning the problems instead of throwing (empty: valid). Messages name the
// step ("step 3 (remove_experts, layer 5): ...").
std::vector<std::string> validatePlan(const ModelSpec& spec, const Plan& plan);

// `first` then `second`: steps concatenated, parameters kept under "first"/"second". Validates the
// result against `spec` (e.g. factoring an expert that `first` removed is an error).
Plan composePlans(const ModelSpec& spec, const Plan& first, const Plan& second);

// ---- Accounting ------------------------------------------------------------------------------
// Counts follow the tensors a checkpoint holds (core/io/tensor_layout.h, the same catalogue as
// countParameters in core/io/param_count.h), so the source count agrees with io's and the result
// matches what export writes.

struct PlanParameters {
    ComponentCounts byComponent; // routers shrink with removed experts; routed experts count
                                 // r(m+n) per factored matrix; dropped layers contribute nothing
    uint64_t condensedWeights = 0; // CD-MoE constant weights (k_c per condensed layer)
    uint64_t total() const { return byComponent.sum() + condensedWeights; }
};

struct PlanAccounting {
    PlanParameters source;
    PlanParameters result;
    // Parameters of the result that are not masked to zero. Masked weights are still stored
    // (dense storage), so `resultBytes` does not shrink with sparsity; only this count does.
    uint64_t resultNonZeros = 0;
    uint64_t sourceBytes = 0; // parameters x element size of the model's dtype (0 for packed fp4/fp6)
    uint64_t resultBytes = 0;
};

PlanParameters planParameters(const ModelSpec& spec, const ResolvedPlan* plan); // nullptr: the source
PlanAccounting accountPlan(const ModelSpec& spec, const Plan& plan); // resolves (throws when invalid)

// ---- Names and JSON (plan_json.cpp) ----------------------------------------------------------

std::string stepName(const PlanStep& step); // "remove_experts", "factor_experts", ...
std::string matrixName(Proj matrix); // "gate", "up", "down"

// Serialised form: {"format":"moewb-plan","version":1,"name":..,"method":..,"parameters":{..},
// "steps":[{"op":"remove_experts","layer":3,"experts":[1,5]}, ...]}. Doubles round-trip exactly.
nlohmann::json planToJson(const Plan& plan);
// Throws moewb::Error naming `source` and the offending step for malformed input or a newer version.
Plan planFromJson(const nlohmann::json& json, const std::string& source = "plan");
std::string planToText(const Plan& plan); // indented JSON
Plan planFromText(const std::string& text, const std::string& source = "plan");

} // namespace moewb
