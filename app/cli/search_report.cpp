#include "app/cli/search_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace moewb::cli {

namespace {

// Candidate index each layer ended with: the block winner, or 0 without blocks.
std::map<int, int> chosenCandidates(const ModelSearchResult& r)
{
    std::map<int, int> chosen;
    for (const auto& b : r.blocks.blocks)
        for (size_t i = 0; i < b.layers.size(); ++i)
            chosen[b.layers[i]] = b.chosen[i];
    return chosen;
}

// The chosen combination is the one with the smallest loss.
double bestLoss(const BlockResult& b)
{
    return *std::min_element(b.losses.begin(), b.losses.end());
}

} // namespace

void printSearchReport(const SearchReport& report)
{
    const auto& r = *report.result;
    const auto chosen = chosenCandidates(r);
    fmt::print("search {} -> {}\n", report.model, report.session);
    if (report.reused)
        fmt::print("reused from the session: the plan '{}' was made with these parameters on this model and data "
                   "(--recompute to search again)\n", r.plan.name);
    else
        fmt::print("calibration {} tokens: {:.1f} s; genetic search {:.1f} s; block search {:.1f} s", report.tokens,
               report.calibrationSeconds, report.geneticSeconds, report.blockSeconds);
    if (!r.blocks.blocks.empty())
        fmt::print(" ({} combinations, {} layer passes)", r.ktCounters.combinations, r.ktCounters.layerPasses);
    fmt::print("\n\n{:>5} {:>3} {:>10} {:>7} {:>12} {:>6} {:>12}  {}\n", "layer", "P", "search", "evals", "best loss",
               "chosen", "its loss", "removed experts");
    for (const auto& l : r.layers) {
        const auto it = chosen.find(l.layer);
        const size_t pick = it == chosen.end() ? 0 : static_cast<size_t>(it->second);
        const auto& c = l.candidates.at(pick);
        fmt::print("{:>5} {:>3} {:>10} {:>7} {:>12.6g} {:>6} {:>12.6g}  {}\n", l.layer, l.pruneCount,
                   l.exhaustive ? "exhaustive" : "genetic", l.evaluations, l.candidates.front().fitness,
                   fmt::format("#{}", pick + 1), c.fitness, fmt::join(c.experts, " "));
    }
    if (!r.blocks.blocks.empty()) {
        fmt::print("\n{:>12} {:>14} {:>14}\n", "block layers", "chosen loss", "best-sets loss");
        for (const auto& b : r.blocks.blocks)
            fmt::print("{:>12} {:>14.6g} {:>14.6g}\n", fmt::format("{}", fmt::join(b.layers, ",")), bestLoss(b),
                       b.losses.front());
    }
    int removed = 0;
    for (const auto& step : r.plan.steps)
        removed += static_cast<int>(std::get<RemoveExperts>(step).experts.size());
    fmt::print("\nplan '{}': {} experts removed from {} layers (saved in {})\n", r.plan.name, removed, r.plan.steps.size(),
               report.session);
}

void printSearchJson(const SearchReport& report)
{
    const auto& r = *report.result;
    const auto chosen = chosenCandidates(r);
    nlohmann::json layers = nlohmann::json::array(), blocks = nlohmann::json::array();
    for (const auto& l : r.layers) {
        nlohmann::json candidates = nlohmann::json::array();
        for (const auto& c : l.candidates)
            candidates.push_back({{"experts", c.experts}, {"fitness", c.fitness}});
        const auto it = chosen.find(l.layer);
        layers.push_back({{"layer", l.layer},
                          {"prune", l.pruneCount},
                          {"exhaustive", l.exhaustive},
                          {"evaluations", l.evaluations},
                          {"generations", l.bestFitness.size()},
                          {"candidates", candidates},
                          {"chosen", it == chosen.end() ? 0 : it->second}});
    }
    for (const auto& b : r.blocks.blocks)
        blocks.push_back({{"layers", b.layers}, {"chosen", b.chosen}, {"chosen_loss", bestLoss(b)}, {"losses", b.losses}});
    nlohmann::json out = {{"model", report.model},
                          {"session", report.session},
                          {"calibration_tokens", report.tokens},
                          {"reused", report.reused},
                          {"seconds", {{"calibration", report.calibrationSeconds}, {"genetic", report.geneticSeconds}, {"blocks", report.blockSeconds}}},
                          {"layers", layers},
                          {"blocks", blocks},
                          {"kt_layer_passes", r.ktCounters.layerPasses},
                          {"plan", planToJson(r.plan)}};
    fmt::print("{}\n", out.dump(2));
}

} // namespace moewb::cli
