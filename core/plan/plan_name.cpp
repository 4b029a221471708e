#include "core/plan/plan_name.h"

#include <algorithm>

namespace moewb {

PlanNameProblem planNameProblem(const std::string& name)
{
    const auto space = [](char c) { return c == ' '; };
    if (std::all_of(name.begin(), name.end(), space))
        return PlanNameProblem::Empty;
    if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return PlanNameProblem::ControlChar;
    // UTF-8 line breaks outside ASCII: U+0085 (next line), U+2028 / U+2029 (line / paragraph separator).
    for (const char* lineBreak : {"\xC2\x85", "\xE2\x80\xA8", "\xE2\x80\xA9"})
        if (name.find(lineBreak) != std::string::npos)
            return PlanNameProblem::ControlChar;
    if (space(name.front()) || space(name.back()))
        return PlanNameProblem::OuterSpace;
    if (name.size() > kMaxPlanNameLength)
        return PlanNameProblem::TooLong;
    return PlanNameProblem::None;
}

const char* planNameProblemText(PlanNameProblem problem)
{
    switch (problem) {
    case PlanNameProblem::None: return "";
    case PlanNameProblem::Empty: return "a plan name cannot be empty";
    case PlanNameProblem::OuterSpace: return "a plan name cannot start or end with a space";
    case PlanNameProblem::ControlChar: return "a plan name cannot hold tabs, line breaks or other control characters";
    case PlanNameProblem::TooLong: return "a plan name is at most 200 bytes long";
    }
    return "";
}

} // namespace moewb
