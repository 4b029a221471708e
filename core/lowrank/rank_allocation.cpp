// Rank allocation (rank_allocation.h): importance-weighted raw ranks, clamps, dense fall-back and the
// budget repair by one common scale factor plus a largest-remainder top-up.
#include "core/lowrank/rank_allocation.h"

#include "core/io/error.h"
#include "core/io/warning.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moewb {

uint64_t expertParameters(int64_t m, int64_t n, int rank)
{
    const auto dense = static_cast<uint64_t>(m * n);
    if (rank <= 0 || rank > breakEvenRank(m, n))
        return 3 * dense;
    return 3 * static_cast<uint64_t>(rank) * static_cast<uint64_t>(m + n);
}

int breakEvenRank(int64_t m, int64_t n)
{
    // max r with r (m + n) < m n
    return static_cast<int>((m * n - 1) / (m + n));
}

namespace {

struct Slot {
    size_t layer = 0, expert = 0;
    int64_t m = 0, n = 0;
    double raw = 0.0;
};

// The rank a raw (scaled) value becomes: floor, clamped to [1, min(m, n)], dense (0) above break-even.
int roundRank(double value, int64_t m, int64_t n)
{
    const double maxRank = static_cast<double>(std::min(m, n));
    const int r = static_cast<int>(std::clamp(std::floor(value), 1.0, maxRank));
    return r > breakEvenRank(m, n) ? 0 : r;
}

} // namespace

RankAllocation allocateRanks(const RankAllocationInput& input)
{
    if (!(input.decompositionRate >= 0.0 && input.decompositionRate < 1.0))
        fail("decomposition rate {} outside [0, 1)", input.decompositionRate);
    if (!(input.alpha >= 0.0) || !(input.eps > 0.0))
        fail("rank allocation: alpha must be >= 0 and eps > 0 (got {}, {})", input.alpha, input.eps);
    RankAllocation out;
    std::vector<Slot> free;
    uint64_t fixedCost = 0;
    for (const auto& [layer, rank] : input.layerAverageRank)
        if (std::none_of(input.layers.begin(), input.layers.end(), [&](const auto& l) { return l.layer == layer; }))
            fail("rank override for layer {}: not a decomposed MoE layer", layer);
    for (const auto& [key, rank] : input.expertRank) {
        const auto it = std::find_if(input.layers.begin(), input.layers.end(), [&](const auto& l) { return l.layer == key.first; });
        if (it == input.layers.end() || std::find(it->experts.begin(), it->experts.end(), key.second) == it->experts.end())
            fail("rank override for layer {} expert {}: no such surviving expert", key.first, key.second);
        if (rank < 0)
            fail("rank override for layer {} expert {}: negative rank {}", key.first, key.second, rank);
    }
    for (size_t li = 0; li < input.layers.size(); ++li) {
        const RankLayerInput& l = input.layers[li];
        if (l.importance.size() != l.experts.size())
            fail("layer {}: {} importances for {} experts", l.layer, l.importance.size(), l.experts.size());
        if (l.m <= 0 || l.n <= 0)
            fail("layer {}: invalid expert shape {} x {}", l.layer, l.m, l.n);
        LayerRanks lr;
        lr.layer = l.layer;
        const auto avg = input.layerAverageRank.find(l.layer);
        const bool layerFixed = avg != input.layerAverageRank.end();
        lr.averageRank = layerFixed ? avg->second
                                    : (1.0 - input.decompositionRate) * double(l.m) * double(l.n) / double(l.m + l.n);
        std::vector<double> w(l.experts.size());
        for (size_t j = 0; j < w.size(); ++j)
            w[j] = std::pow(std::max(l.importance[j], 0.0) + input.eps, input.alpha);
        const double sum = std::accumulate(w.begin(), w.end(), 0.0);
        const double total = lr.averageRank * double(l.experts.size());
        int overriddenDense = 0; // overrides asking for a rank above break-even: kept dense, said below
        for (size_t j = 0; j < l.experts.size(); ++j) {
            ExpertRankChoice c;
            c.expert = l.experts[j];
            c.raw = sum > 0 ? w[j] / sum * total : lr.averageRank;
            out.denseParameters += expertParameters(l.m, l.n, 0);
            if (const auto o = input.expertRank.find({l.layer, c.expert}); o != input.expertRank.end()) {
                c.overridden = true;
                c.rank = o->second == 0 ? 0 : roundRank(o->second, l.m, l.n);
                overriddenDense += o->second != 0 && c.rank == 0;
                fixedCost += expertParameters(l.m, l.n, c.rank);
            } else if (layerFixed) {
                c.overridden = true;
                c.rank = roundRank(c.raw, l.m, l.n);
                overriddenDense += c.rank == 0;
                fixedCost += expertParameters(l.m, l.n, c.rank);
            } else {
                free.push_back({li, lr.experts.size(), l.m, l.n, c.raw});
            }
            lr.experts.push_back(c);
        }
        if (overriddenDense > 0)
            warnOnce(fmt::format("layer {}: the rank override{} keeps {} of {} experts dense: above rank {} a factor "
                                 "pair of a {} x {} matrix holds more parameters than the matrix",
                l.layer, layerFixed ? fmt::format(" (average rank {:g})", lr.averageRank) : std::string(),
                overriddenDense, l.experts.size(), breakEvenRank(l.m, l.n), l.m, l.n));
        out.layers.push_back(std::move(lr));
    }
    out.budget = static_cast<uint64_t>(std::floor((1.0 - input.decompositionRate) * double(out.denseParameters)));

    auto costAt = [&](double s) {
        uint64_t c = fixedCost;
        for (const Slot& f : free)
            c += expertParameters(f.m, f.n, roundRank(s * f.raw, f.m, f.n));
        return c;
    };
    if (!free.empty() && costAt(0.0) > out.budget)
        fail("decomposition rate {}: even rank 1 for every expert needs {} parameters, more than the budget of {} "
             "(lower the rate or the rank overrides)",
             input.decompositionRate, costAt(0.0), out.budget);
    // The largest common scale that fits (cost is non-decreasing in s).
    double lo = 0.0, hi = 1.0;
    while (costAt(hi) <= out.budget && hi < 1e9)
        hi *= 2;
    for (int it = 0; it < 100 && hi - lo > 1e-12 * hi; ++it) {
        const double mid = 0.5 * (lo + hi);
        (costAt(mid) <= out.budget ? lo : hi) = mid;
    }
    out.scale = lo;
    uint64_t cost = fixedCost;
    for (const Slot& f : free) {
        auto& c = out.layers[f.layer].experts[f.expert];
        c.rank = roundRank(lo * f.raw, f.m, f.n);
        cost += expertParameters(f.m, f.n, c.rank);
    }
    // Top-up: one more rank for the largest fractional parts while the budget allows.
    std::vector<const Slot*> order;
    for (const Slot& f : free)
        order.push_back(&f);
    std::stable_sort(order.begin(), order.end(), [&](const Slot* a, const Slot* b) {
        const double fa = lo * a->raw - std::floor(lo * a->raw), fb = lo * b->raw - std::floor(lo * b->raw);
        return fa > fb;
    });
    for (const Slot* f : order) {
        auto& c = out.layers[f->layer].experts[f->expert];
        if (c.rank == 0 || c.rank + 1 > breakEvenRank(f->m, f->n))
            continue;
        const uint64_t step = 3 * static_cast<uint64_t>(f->m + f->n);
        if (cost + step <= out.budget) {
            ++c.rank;
            cost += step;
        }
    }
    out.allocated = cost;
    for (const auto& l : out.layers)
        for (const auto& c : l.experts)
            out.denseFallbacks += (c.rank == 0 && !c.overridden) ? 1 : 0;
    return out;
}

} // namespace moewb
