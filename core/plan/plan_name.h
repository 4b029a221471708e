// Names users give plans (`moe-compress run --plan-name`, the GUI's Plan name field): what is refused.
// A plan's name keys it in the session, titles it in the GUI's lists and summaries and, made safe by
// planTensorPrefix, names the folder of its tensors; so a name must be visible text on one line.
#pragma once
#include <string>

namespace moewb {

enum class PlanNameProblem {
    None,
    Empty,          // empty or only spaces
    OuterSpace,     // starts or ends with a space
    ControlChar,    // a control character (tab, new line, ...) or a Unicode line break (U+0085, U+2028, U+2029)
    TooLong,        // more than kMaxPlanNameLength bytes
};

// For the names users give. Names the tool derives from them (`<name>-ga`, `<name>-no-finetune`,
// `<name>-lora`, `<plan> + <name>` for a method run after a plan) may be longer by what they add: they
// are shown and stored like any name (session group names and the tensor folders planTensorPrefix
// makes inside the session file have no length limit; the one file named after a plan, the default
// LoRA checkpoint, keeps within 255 bytes: defaultLoraCheckpoint).
constexpr size_t kMaxPlanNameLength = 200;

PlanNameProblem planNameProblem(const std::string& name);
// The problem in words ("" for None), for the CLI's messages (the GUI has its own, translated).
const char* planNameProblemText(PlanNameProblem problem);

} // namespace moewb
