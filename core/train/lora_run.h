// What `moe-compress finetune` and the GUI's Recover share around finetuneLora (lora.h): the target
// modules as text, the recovered plan's name and the rules it must follow, the default checkpoint
// file, and storing the trained adapters in the session as the recovered plan. One set of rules, so
// a run started in one can be resumed in the other and both refuse the same names.
#pragma once
#include "core/session/session.h"
#include "core/train/lora.h"

#include <filesystem>
#include <string>

namespace moewb {

// The CLI's --targets default.
inline constexpr const char* kDefaultLoraTargets = "attention,experts,shared";

// Sets options' attention/experts/shared/dense from a comma-separated list ("attention,experts");
// throws moewb::Error for an unknown module or an empty list (nothing would train); the CLI prefixes
// its messages with "--targets: ".
void parseLoraTargets(const std::string& targets, LoraOptions& options);
// The targets of `options` as parseLoraTargets reads them, in the order attention, experts, shared,
// dense ("" when none).
std::string loraTargetsText(const LoraOptions& options);

// The recovered plan's name: `requested`, or "<base>-lora" when it is empty.
std::string recoveredPlanName(const std::string& base, const std::string& requested);

// A plan a LoRA recovery made (its parameters hold "base_plan" and a "lora" object).
bool isRecoveredPlan(const Plan& plan);

// Why `name` cannot name the plan a LoRA recovery of plan `base` stores in `session`; empty when it
// can. Refused: an empty name, spaces at either end, control characters, the base plan's own name,
// the name of a plan that is not a recovered one (it would be overwritten), and a name whose tensor
// folder (planTensorPrefix("lora", name)) is another recovered plan's (their adapters would mix).
// Overwriting an earlier recovered plan of the same name is allowed (a re-run).
std::string recoveredPlanNameProblem(const Session& session, const std::string& base, const std::string& name);
// The same rules on the plans' names alone, `recovered` naming those that are recovered plans.
std::string recoveredPlanNameProblem(const std::vector<std::string>& plans, const std::vector<std::string>& recovered,
                                     const std::string& base, const std::string& name);

// The default checkpoint file of a recovery of plan `base` in the session file `session`:
// "<session>.<base>-lora.ckpt" beside it, a "/" in the name written "_" (finetune's --checkpoint default).
std::filesystem::path defaultLoraCheckpoint(const std::filesystem::path& session, const std::string& base);

// How a recovery ran, for the plan's "lora" parameters (besides the options and the result).
struct LoraRunRecord {
    std::string targets; // as typed (--targets) or loraTargetsText
    std::string train, valid; // the files
    bool pairs = false; // instruction pairs, not text
};

// Stores `adapters` in `session` as plan `name`: their tensors under planTensorPrefix("lora", name)
// (that folder's earlier tensors removed), the plan = `base`'s steps + low-rank deltas, with
// parameters {base_plan, base_parameters, lora: {rank, alpha, dropout, targets, steps, lr, ...}}.
void storeRecoveredPlan(Session& session, const Plan& base, const std::string& name,
                        const std::vector<LoraAdapter>& adapters, const LoraOptions& lora,
                        const FinetuneOptions& fit, const FinetuneResult& result, const LoraRunRecord& record);

} // namespace moewb
