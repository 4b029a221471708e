// MoE-I² stages on a session (moe_i2_stages.h).
#include "core/pipeline/moe_i2_stages.h"

#include "core/io/error.h"
#include "core/model/residency.h"
#include "core/pipeline/compute_counter.h"
#include "core/plan/apply.h"

namespace moewb {

DecomposeStageResult decomposeIntoSession(const std::filesystem::path& modelPath, const ComputeOptions& compute,
                                          const torch::Tensor& blocks, Session& session, DecomposeStageOptions options)
{
    DecomposeStageResult out;
    Plan pruning{"none", "moe-i2", nlohmann::json::object(), {}};
    if (!options.pruningPlan.empty()) {
        const auto it = session.plans().find(options.pruningPlan);
        if (it == session.plans().end())
            fail("decompose: the session holds no plan named '{}'", options.pruningPlan);
        pruning = it->second.plan;
    }
    auto& d = options.decompose;
    d.factorPrefix = planTensorPrefix("factors", d.planName);

    // Reuse: the same plan name, made from the same pruning steps with the same parameters, whose
    // factor tensors are all in the store.
    if (!options.recompute) {
        if (const auto it = session.plans().find(d.planName); it != session.plans().end()) {
            const Plan& old = it->second.plan;
            const bool sameStart = old.steps.size() >= pruning.steps.size()
                && std::equal(pruning.steps.begin(), pruning.steps.end(), old.steps.begin());
            const auto& p = old.parameters;
            const bool sameParams = p.value("decomposition_rate", -1.0) == d.rate && p.value("alpha", -1.0) == d.alpha
                && p.value("svd", std::string()) == (d.mode == SvdMode::Plain ? "plain" : "activation_aware")
                && p.value("overrides", nlohmann::json()) == nlohmann::json(nlohmann::json::object())
                && d.layerAverageRank.empty() && d.expertRank.empty();
            if (sameStart && sameParams && session.missingTensors(old).empty()
                && it->second.stamp.modelHash == session.currentStamp().modelHash) {
                out.reused = true;
                out.plan = &old;
                return out;
            }
        }
    }

    auto model = openModel(modelPath, compute);
    applyPlan(*model, pruning, sessionTensorSource(session));
    countCompute("decompose");
    out.result = decomposeExperts(*model, pruning, blocks, d);
    nlohmann::json overrides = nlohmann::json::object();
    for (const auto& [layer, r] : d.layerAverageRank)
        overrides["layer_" + std::to_string(layer)] = r;
    for (const auto& [key, r] : d.expertRank)
        overrides[fmt::format("layer_{}_expert_{}", key.first, key.second)] = r;
    out.result.plan.parameters["overrides"] = overrides;
    if (!options.pruningPlan.empty())
        out.result.plan.parameters["pruning_plan"] = options.pruningPlan;

    claimTensorFolder(session, d.planName, [&d](const std::string& name) {
        return name == d.planName ? d.factorPrefix : planTensorPrefix("factors", name);
    });
    removeSessionTensors(session, d.factorPrefix);
    for (const auto& [name, tensor] : out.result.factors)
        putSessionTensor(session, name, tensor.dtype() == torch::kDouble ? tensor.to(torch::kFloat) : tensor);
    session.setPlan(out.result.plan);
    out.plan = &session.plans().at(d.planName).plan;
    return out;
}

} // namespace moewb
