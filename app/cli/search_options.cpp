// The search options `search` and `run --method moe-i2` share (search_options.h).
#include "app/cli/search_options.h"
#include "app/cli/validators.h"

#include <cctype>

namespace moewb::cli {

void addSearchOptions(CLI::App& cmd, SearchCliOptions& o, const std::string& prefix, const std::string& group)
{
    auto text = [&](std::string description) {
        if (prefix.empty())
            description[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(description[0])));
        return prefix + description;
    };
    std::vector<CLI::Option*> added{
        cmd.add_option("--K", o.K, text("candidate sets kept per layer"))->check(CLI::Range(1, 16))->capture_default_str(),
        cmd.add_option("--T", o.T, text("MoE layers per KT block"))->check(CLI::Range(1, 8))->capture_default_str(),
        cmd.add_option("--population", o.population, text("genetic population N"))
            ->check(CLI::Range(2, 100000))
            ->capture_default_str(),
        cmd.add_option("--generations", o.generations, text("generations G"))
            ->check(CLI::Range(1, 100000))
            ->capture_default_str(),
        cmd.add_flag("--force-genetic", o.forceGenetic, text("search genetically even where enumeration is cheaper")),
        cmd.add_flag("--no-blocks", o.noBlocks, text("skip the KT block search: the plan takes each layer's best set")),
        cmd.add_option("--sequences-per-pass", o.sequencesPerPass,
                       text("block search: calibration sequences per forward (bounds memory)"))
            ->check(positiveNumber())
            ->capture_default_str()};
    if (!group.empty())
        for (auto* option : added)
            option->group(group);
}

void applySearchOptions(const SearchCliOptions& o, SearchStageOptions& so)
{
    so.search.genetic.population = o.population;
    so.search.genetic.generations = o.generations;
    so.search.genetic.keep = o.K;
    so.search.genetic.forceGenetic = o.forceGenetic;
    so.search.kt.blockSize = o.T;
    so.search.kt.sequencesPerPass = o.sequencesPerPass;
    so.search.blockSearch = !o.noBlocks;
}

} // namespace moewb::cli
