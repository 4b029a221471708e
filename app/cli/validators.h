// Option checks with messages a person can read. CLI11 2.1's PositiveNumber and NonNegativeNumber
// answer "--lr: Value 0 not in range 0.000000 to 1797693134862315708...(300 more digits).000000" (and
// "0 not in range 0" for a positive one); these say "--lr: must be above 0 (got 0)".
#pragma once
#include "core/plan/plan_name.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <string>

namespace moewb::cli {

namespace validators_detail {

inline CLI::Validator numberAbove(bool allowZero)
{
    return CLI::Validator(
        [allowZero](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
                return "'" + text + "' is not a number";
            if (allowZero ? value >= 0 : value > 0)
                return {};
            return std::string(allowZero ? "must be 0 or more" : "must be above 0") + " (got " + text + ")";
        },
        allowZero ? ">= 0" : "> 0");
}

} // namespace validators_detail

// A number in [lo, hi]. CLI11's Range lets NaN through (every comparison with it is false): "--ratio nan"
// ran as 0 or as the session's ratio; this says "--ratio: 'nan' is not a number".
inline CLI::Validator numberIn(double lo, double hi)
{
    return CLI::Validator(
        [lo, hi](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
                return "'" + text + "' is not a number";
            if (value >= lo && value <= hi)
                return {};
            return fmt::format("must be between {:g} and {:g} (got {})", lo, hi, text);
        },
        fmt::format("[{:g} - {:g}]", lo, hi));
}

// --plan-name: the rules for every plan name (core/plan/plan_name.h), e.g. "--plan-name: a plan name
// cannot start or end with a space".
inline CLI::Validator planName()
{
    return CLI::Validator(
        [](std::string& text) -> std::string { return planNameProblemText(planNameProblem(text)); }, "NAME");
}

inline CLI::Validator positiveNumber() { return validators_detail::numberAbove(false); }
inline CLI::Validator nonNegativeNumber() { return validators_detail::numberAbove(true); }

// The command-line failure message (CLI::App::failure_message). A single-value option given twice is
// refused (which one was meant is not guessed), but CLI11 2.1 says "--seq-len: At Most 1 required but
// received 2"; this says "--seq-len: given 2 times; give it once". Everything else is CLI11's own text.
inline std::string failureMessage(const CLI::App* app, const CLI::Error& e)
{
    const std::string what = e.what();
    const std::string marker = ": At Most 1 required but received ";
    if (const auto at = what.find(marker); at != std::string::npos)
        return fmt::format("{}: given {} times; give it once\n", what.substr(0, at), what.substr(at + marker.size()))
            + CLI::FailureMessage::simple(app, e).substr(what.size() + 1);
    return CLI::FailureMessage::simple(app, e);
}

} // namespace moewb::cli
