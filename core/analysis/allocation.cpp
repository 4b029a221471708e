#include "core/analysis/allocation.h"

#include "core/io/error.h"
#include "core/pipeline/compute_counter.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moewb {

Allocation allocatePruningCounts(const AllocationInput& in)
{
    countCompute("allocation");
    const size_t m = in.layerImportance.size();
    if (in.experts.size() != m || in.topK.size() != m)
        fail("allocation: {} importances, {} expert counts and {} top-k values differ", m, in.experts.size(),
             in.topK.size());
    if (!(in.ratio >= 0.0 && in.ratio < 1.0))
        fail("pruning ratio {} must be in [0, 1)", in.ratio);
    Allocation out;
    out.counts.assign(m, 0);
    const int totalExperts = std::accumulate(in.experts.begin(), in.experts.end(), 0);
    out.requested = static_cast<int>(std::lround(in.ratio * totalExperts));

    std::vector<int> cap(m);
    for (size_t l = 0; l < m; ++l)
        cap[l] = std::max(0, in.experts[l] - in.topK[l]);
    int fixed = 0;
    for (const auto& [l, count] : in.overrides) {
        if (l < 0 || static_cast<size_t>(l) >= m)
            fail("pruning-count override for MoE layer {}: there are {} MoE layers", l, m);
        if (count < 0 || count > cap[static_cast<size_t>(l)])
            fail("MoE layer {}: pruning {} experts would leave fewer than top-k = {} of {} experts", l, count,
                 in.topK[static_cast<size_t>(l)], in.experts[static_cast<size_t>(l)]);
        out.counts[static_cast<size_t>(l)] = count;
        fixed += count;
    }
    const int budget = std::max(0, out.requested - fixed);

    std::vector<size_t> free;
    double weightSum = 0.0;
    std::vector<double> weight(m, 0.0);
    for (size_t l = 0; l < m; ++l) {
        if (in.overrides.count(static_cast<int>(l)))
            continue;
        weight[l] = 1.0 / (in.layerImportance[l] + in.eps);
        weightSum += weight[l];
        free.push_back(l);
    }
    std::vector<double> fraction(m, 0.0);
    int given = 0;
    for (size_t l : free) {
        const double raw = budget * weight[l] / weightSum;
        const int base = static_cast<int>(std::floor(raw));
        out.counts[l] = std::min(base, cap[l]);
        fraction[l] = raw - base;
        given += out.counts[l];
    }
    // Remainder by largest fractional part; rounds repeat while capped layers leave some over.
    std::vector<size_t> order = free;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fraction[a] > fraction[b]; });
    int remainder = budget - given;
    while (remainder > 0) {
        bool progressed = false;
        for (size_t l : order) {
            if (remainder == 0)
                break;
            if (out.counts[l] < cap[l]) {
                ++out.counts[l];
                --remainder;
                progressed = true;
            }
        }
        if (!progressed)
            break;
    }
    out.allocated = std::accumulate(out.counts.begin(), out.counts.end(), 0);
    return out;
}

} // namespace moewb
