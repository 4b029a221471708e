// Text and JSON output of `moe-compress decompose` (lowrank_report.h).
#include "app/cli/lowrank_report.h"

#include "core/io/error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace moewb::cli {

namespace {

struct LayerSummary {
    int experts = 0, dense = 0, minRank = 1 << 30, maxRank = 0;
    double rankSum = 0, relError = 0, actError = 0;
    int matrices = 0, plainFallback = 0;
};

std::map<int, LayerSummary> summarise(const DecomposeResult& r)
{
    std::map<int, LayerSummary> out;
    for (const auto& l : r.allocation.layers) {
        auto& s = out[l.layer];
        for (const auto& e : l.experts) {
            ++s.experts;
            if (e.rank == 0) {
                ++s.dense;
                continue;
            }
            s.minRank = std::min(s.minRank, e.rank);
            s.maxRank = std::max(s.maxRank, e.rank);
            s.rankSum += e.rank;
        }
    }
    for (const auto& m : r.matrices) {
        auto& s = out[m.layer];
        ++s.matrices;
        s.relError += m.relativeError;
        s.actError += m.activationError;
        s.plainFallback += m.used == SvdMode::Plain;
    }
    return out;
}

std::string count(uint64_t n)
{
    return n >= 1000000 ? fmt::format("{:.2f}M", n / 1e6) : n >= 1000 ? fmt::format("{:.1f}K", n / 1e3) : std::to_string(n);
}

} // namespace

void printLowRankReport(const LowRankReport& r)
{
    const auto& p = r.plan->parameters;
    fmt::print("decompose: plan '{}' for {} (session {})\n", r.plan->name, r.model, r.session);
    fmt::print("  decomposition rate {:.3g}, alpha {:.3g}, SVD {}\n", p.value("decomposition_rate", 0.0),
               p.value("alpha", 0.0), p.value("svd", std::string("?")));
    const auto acc = accountPlan(*r.spec, *r.plan);
    if (!r.result) {
        fmt::print("  reused from the session (same pruning plan and parameters; --recompute to redo)\n");
    } else {
        const auto& a = r.result->allocation;
        int fallbacks = 0;
        for (const auto& m : r.result->matrices)
            fallbacks += m.used == SvdMode::Plain && p.value("svd", std::string()) != "plain";
        fmt::print("  routed experts: {} parameters dense, budget {}, allocated {} ({} expert{} kept dense)\n",
                   count(a.denseParameters), count(a.budget), count(a.allocated), a.denseFallbacks,
                   a.denseFallbacks == 1 ? "" : "s");
        if (fallbacks > 0)
            fmt::print("  {} matri{} saw fewer tokens than its input dimension: plain SVD there\n", fallbacks,
                       fallbacks == 1 ? "x" : "ces");
        fmt::print("\n  {:>5}  {:>7}  {:>5}  {:>15}  {:>9}  {:>9}\n", "layer", "experts", "dense", "rank min/mean/max",
                   "rel.err", "act.err");
        for (const auto& [layer, s] : summarise(*r.result)) {
            const int factored = s.experts - s.dense;
            const std::string ranks = factored > 0
                ? fmt::format("{}/{:.1f}/{}", s.minRank, s.rankSum / factored, s.maxRank)
                : std::string("-");
            fmt::print("  {:>5}  {:>7}  {:>5}  {:>15}  {:>9.4f}  {:>9.4f}\n", layer, s.experts, s.dense, ranks,
                       s.matrices ? s.relError / s.matrices : 0.0, s.matrices ? s.actError / s.matrices : 0.0);
        }
        fmt::print("  (rel.err: ||W - AB|| / ||W||; act.err: the same on the calibration inputs, ||(W - AB)X|| / ||WX||)\n");
    }
    const double saved = 1.0 - double(acc.result.total()) / double(acc.source.total());
    fmt::print("\n  parameters {} -> {} ({:.1f}% fewer); routed experts {} -> {}\n", count(acc.source.total()),
               count(acc.result.total()), 100 * saved, count(acc.source.byComponent[Component::RoutedExperts]),
               count(acc.result.byComponent[Component::RoutedExperts]));
    if (r.result)
        fmt::print("  took {:.1f} s (importance {:.1f} s, statistics and SVD {:.1f} s)\n", r.seconds,
                   r.result->importanceSeconds, r.result->factorSeconds);
}

void printLowRankJson(const LowRankReport& r)
{
    const auto acc = accountPlan(*r.spec, *r.plan);
    nlohmann::json j = {{"model", r.model}, {"session", r.session}, {"plan", r.plan->name},
                        {"parameters", r.plan->parameters}, {"reused", r.result == nullptr},
                        {"source_parameters", acc.source.total()}, {"result_parameters", acc.result.total()},
                        {"source_bytes", acc.sourceBytes}, {"result_bytes", acc.resultBytes}, {"seconds", r.seconds}};
    if (r.result) {
        const auto& a = r.result->allocation;
        j["allocation"] = {{"dense_parameters", a.denseParameters}, {"budget", a.budget},
                           {"allocated", a.allocated}, {"dense_fallbacks", a.denseFallbacks}, {"scale", a.scale}};
        nlohmann::json layers = nlohmann::json::array();
        for (const auto& l : a.layers) {
            nlohmann::json experts = nlohmann::json::array();
            for (const auto& e : l.experts)
                experts.push_back({{"expert", e.expert}, {"rank", e.rank}, {"raw", e.raw}, {"overridden", e.overridden}});
            layers.push_back({{"layer", l.layer}, {"average_rank", l.averageRank}, {"experts", experts}});
        }
        j["ranks"] = layers;
        nlohmann::json matrices = nlohmann::json::array();
        for (const auto& m : r.result->matrices)
            matrices.push_back({{"layer", m.layer}, {"expert", m.expert}, {"matrix", matrixName(m.matrix)},
                                {"rank", m.rank}, {"svd", m.used == SvdMode::Plain ? "plain" : "activation_aware"},
                                {"tokens", m.tokens}, {"jitter", m.jitter}, {"relative_error", m.relativeError},
                                {"activation_error", m.activationError}});
        j["matrices"] = matrices;
        j["importance_seconds"] = r.result->importanceSeconds;
        j["factor_seconds"] = r.result->factorSeconds;
    }
    std::cout << j.dump(2) << "\n";
}

std::map<int, double> parseLayerRanks(const std::vector<std::string>& entries)
{
    std::map<int, double> out;
    for (const auto& e : entries) {
        int layer = 0;
        double rank = 0;
        char tail = 0;
        if (std::sscanf(e.c_str(), "%d=%lf%c", &layer, &rank, &tail) != 2 || layer < 0 || rank < 1)
            fail("--layer-rank '{}': expected LAYER=RANK with RANK >= 1, e.g. 3=24", e);
        out[layer] = rank;
    }
    return out;
}

std::map<std::pair<int, int>, int> parseExpertRanks(const std::vector<std::string>& entries)
{
    std::map<std::pair<int, int>, int> out;
    for (const auto& e : entries) {
        int layer = 0, expert = 0, rank = 0;
        char tail = 0;
        if (std::sscanf(e.c_str(), "%d:%d=%d%c", &layer, &expert, &rank, &tail) != 3 || layer < 0 || expert < 0 || rank < 0)
            fail("--expert-rank '{}': expected LAYER:EXPERT=RANK (RANK 0 keeps the expert dense), e.g. 3:5=16", e);
        out[{layer, expert}] = rank;
    }
    return out;
}

} // namespace moewb::cli
