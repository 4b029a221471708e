// The MoE-I² search options that `search` (cmd_search.cpp) and `run --method moe-i2` (run_moe_i2.cpp)
// share: registered once, copied into the search stage's options once (docs/search.md).
#pragma once
#include "core/pipeline/search_stage.h"

#include <CLI/CLI.hpp>

#include <string>

namespace moewb::cli {

struct SearchCliOptions {
    int K = 3, T = 3, population = 100, generations = 50;
    int64_t sequencesPerPass = 8;
    bool noBlocks = false, forceGenetic = false;
};

// Adds --K, --T, --population, --generations, --force-genetic, --no-blocks and --sequences-per-pass to
// `cmd`. `prefix` starts every description (run: "moe-i2: "; empty: the description is capitalised);
// with a non-empty `group` they go to that option group.
void addSearchOptions(CLI::App& cmd, SearchCliOptions& o, const std::string& prefix = {}, const std::string& group = {});

// The options into the search stage's (genetic population, generations, K, force-genetic; KT block
// size and sequences per pass; block search on or off). The seed, ratio and plan name stay the caller's.
void applySearchOptions(const SearchCliOptions& o, SearchStageOptions& so);

} // namespace moewb::cli
