// Frequency and random pruning baselines (baselines.h).
#include "core/search/baselines.h"

#include "core/io/error.h"
#include "core/io/splitmix.h"

#include <algorithm>
#include <numeric>

namespace moewb {

Plan frequencyPruningPlan(const RouterStats& stats, const std::map<int, int>& counts, const std::string& name)
{
    Plan plan{name, "frequency", {{"selection", "frequency"}}, {}};
    const int64_t experts = stats.selectionFrequency.shape.size() == 2 ? stats.selectionFrequency.shape[1] : 0;
    for (const auto& [layer, count] : counts) {
        const auto row = std::find(stats.layers.begin(), stats.layers.end(), layer) - stats.layers.begin();
        if (row >= static_cast<int64_t>(stats.layers.size()))
            fail("frequency pruning: no router statistics for layer {}", layer);
        auto at = [&](const Array<double>& a, int64_t e) { return a.data[static_cast<size_t>(row * experts + e)]; };
        std::vector<int> order(static_cast<size_t>(experts));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            const double fa = at(stats.selectionFrequency, a), fb = at(stats.selectionFrequency, b);
            if (fa != fb)
                return fa < fb;
            return at(stats.softmaxMass, a) < at(stats.softmaxMass, b);
        });
        std::vector<int> removed(order.begin(), order.begin() + std::min<int64_t>(count, experts));
        std::sort(removed.begin(), removed.end());
        if (!removed.empty())
            plan.steps.push_back(RemoveExperts{layer, removed});
    }
    return plan;
}

Plan randomPruningPlan(const std::map<int, int>& experts, const std::map<int, int>& counts, uint64_t seed,
                       const std::string& name)
{
    Plan plan{name, "random", {{"selection", "random"}, {"seed", seed}}, {}};
    for (const auto& [layer, count] : counts) {
        const auto e = experts.find(layer);
        if (e == experts.end())
            fail("random pruning: unknown expert count for layer {}", layer);
        SplitMix64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(layer) + 1);
        std::vector<int> ids(static_cast<size_t>(e->second));
        std::iota(ids.begin(), ids.end(), 0);
        for (size_t i = ids.size(); i > 1; --i) // Fisher-Yates
            std::swap(ids[i - 1], ids[static_cast<size_t>(rng.next() % i)]);
        std::vector<int> removed(ids.begin(), ids.begin() + std::min(count, e->second));
        std::sort(removed.begin(), removed.end());
        if (!removed.empty())
            plan.steps.push_back(RemoveExperts{layer, removed});
    }
    return plan;
}

} // namespace moewb
