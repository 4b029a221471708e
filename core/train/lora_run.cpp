// What finetune and the GUI's Recover share around finetuneLora (lora_run.h).
#include "core/train/lora_run.h"

#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/plan/apply.h"
#include "core/plan/plan_name.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace moewb {

void parseLoraTargets(const std::string& targets, LoraOptions& o)
{
    o.attention = o.experts = o.shared = o.dense = false;
    std::stringstream list(targets);
    for (std::string t; std::getline(list, t, ',');) {
        if (t == "attention")
            o.attention = true;
        else if (t == "experts")
            o.experts = true;
        else if (t == "shared")
            o.shared = true;
        else if (t == "dense")
            o.dense = true;
        else
            fail("unknown module '{}' (attention, experts, shared, dense)", t);
    }
    if (!o.attention && !o.experts && !o.shared && !o.dense)
        fail("no module chosen (at least one of attention, experts, shared, dense)");
}

std::string loraTargetsText(const LoraOptions& o)
{
    std::string out;
    for (const auto& [on, name] : {std::pair{o.attention, "attention"}, std::pair{o.experts, "experts"},
                                   std::pair{o.shared, "shared"}, std::pair{o.dense, "dense"}})
        if (on)
            out += (out.empty() ? "" : ",") + std::string(name);
    return out;
}

std::string recoveredPlanName(const std::string& base, const std::string& requested)
{
    return requested.empty() ? base + "-lora" : requested;
}

bool isRecoveredPlan(const Plan& plan)
{
    return plan.parameters.is_object() && plan.parameters.contains("base_plan") && plan.parameters.contains("lora")
        && plan.parameters.at("lora").is_object();
}

std::string recoveredPlanNameProblem(const std::vector<std::string>& plans, const std::vector<std::string>& recovered,
                                     const std::string& base, const std::string& name)
{
    // First the rules for every plan name (core/plan/plan_name.h), then those of a recovery.
    if (const PlanNameProblem problem = planNameProblem(name); problem != PlanNameProblem::None)
        return planNameProblemText(problem);
    if (name == base)
        return fmt::format("plan name '{}' is the plan being recovered; choose another name", name);
    const auto has = [](const std::vector<std::string>& list, const std::string& n) {
        return std::find(list.begin(), list.end(), n) != list.end();
    };
    if (has(plans, name) && !has(recovered, name))
        return fmt::format("the session's plan '{}' is not a LoRA recovery and would be overwritten; choose another "
                           "name",
                           name);
    const std::string folder = planTensorPrefix("lora", name);
    for (const auto& other : recovered)
        if (other != name && planTensorPrefix("lora", other) == folder)
            return fmt::format("plan name '{}' would store its adapters where plan '{}' keeps its own ({}); "
                               "choose another name",
                               name, other, folder);
    return {};
}

std::string recoveredPlanNameProblem(const Session& session, const std::string& base, const std::string& name)
{
    std::vector<std::string> plans, recovered;
    for (const auto& [n, stored] : session.plans()) {
        plans.push_back(n);
        if (isRecoveredPlan(stored.plan))
            recovered.push_back(n);
    }
    return recoveredPlanNameProblem(plans, recovered, base, name);
}

std::filesystem::path defaultLoraCheckpoint(const std::filesystem::path& session, const std::string& base)
{
    // Beside the session whatever the plan's name: a '/' in it would point into a folder that may not
    // exist (the run's last checkpoint, written before the plan is stored, would fail) or elsewhere.
    std::string stem = base;
    std::replace(stem.begin(), stem.end(), '/', '_');
    // A file name holds at most 255 bytes (NAME_MAX): a long plan name (up to 200 bytes, more for
    // derived names like "<plan> + <method>") beside a long session name keeps its first bytes, cut
    // at a character boundary, and the FNV-1a hash of the whole name, so names stay apart.
    const std::string sessionName = session.filename().string(), suffix = "-lora.ckpt";
    constexpr size_t kNameMax = 255, kHash = 17; // "-" + 16 hex digits
    if (sessionName.size() + 1 + stem.size() + suffix.size() > kNameMax) {
        Fnv1a64Hash hash;
        hash.add(base);
        size_t keep = kNameMax - std::min(kNameMax, sessionName.size() + 1 + suffix.size() + kHash);
        while (keep > 0 && keep < stem.size() && (static_cast<unsigned char>(stem[keep]) & 0xC0) == 0x80)
            --keep; // not inside a UTF-8 sequence
        stem = stem.substr(0, std::min(keep, stem.size())) + "-" + hash.hex();
    }
    return std::filesystem::path(session.string() + "." + stem + suffix);
}

void storeRecoveredPlan(Session& session, const Plan& base, const std::string& name,
                        const std::vector<LoraAdapter>& adapters, const LoraOptions& lora, const FinetuneOptions& fit,
                        const FinetuneResult& result, const LoraRunRecord& record)
{
    const std::string prefix = planTensorPrefix("lora", name);
    removeSessionTensors(session, prefix);
    for (const auto& [n, t] : loraTensors(adapters, prefix))
        putSessionTensor(session, n, t);
    Plan recovered = base;
    recovered.name = name;
    recovered.parameters = {{"base_plan", base.name}, {"base_parameters", base.parameters},
                            {"lora", {{"rank", lora.rank}, {"alpha", lora.alpha}, {"dropout", lora.dropout},
                                      {"targets", record.targets}, {"steps", result.steps}, {"lr", fit.lr},
                                      {"batch", fit.batchSize}, {"seq_len", fit.seqLen},
                                      {"accumulation", fit.accumulation}, {"weight_decay", fit.weightDecay},
                                      {"seed", lora.seed}, {"objective", objectiveName(fit.objective)},
                                      {"temperature", fit.temperature}, {"distill_weight", fit.distillWeight},
                                      {"train", record.train}, {"valid", record.valid}, {"best_step", result.bestStep},
                                      {"data", record.pairs ? "instruction pairs" : "text"}}}};
    recovered.parameters["lora"].update(heldOutSelection(result, fit.objective)); // what picked best_step
    for (auto& d : loraDeltas(adapters, prefix))
        recovered.steps.push_back(d);
    session.setPlan(recovered);
}

} // namespace moewb
