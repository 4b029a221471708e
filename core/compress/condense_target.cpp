#include "core/compress/condense_target.h"

#include "core/plan/plan.h"

#include <algorithm>

namespace moewb {

uint64_t condensedParameters(const ModelSpec& spec, const std::vector<int>& layers, int experts)
{
    Plan p;
    for (int l : layers) {
        std::vector<int> kept(static_cast<size_t>(std::max(0, experts)));
        for (int e = 0; e < experts; ++e)
            kept[static_cast<size_t>(e)] = e;
        p.steps.push_back(CondenseLayer{l, kept, std::vector<double>(kept.size(), 0.5)});
    }
    return accountPlan(spec, p).result.total();
}

std::vector<int> condenseCandidates(const ModelSpec& spec, const std::vector<int>& candidateLayers)
{
    std::vector<int> candidates = candidateLayers.empty() ? spec.moeLayerIndices() : candidateLayers;
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    return candidates;
}

} // namespace moewb
