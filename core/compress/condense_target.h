// CD-MoE's parameter target (CondenseOptions::targetParameters; `moe-compress run --method condense
// --target-params N`, the GUI's "Parameter target"): a count of parameters the condensed model must
// hold at most, as accountPlan counts them (the plan's result total). No LibTorch: the GUI checks a
// target against the open model's spec while it is typed, with the same numbers core's search uses.
#pragma once
#include "core/io/model_spec.h"

#include <cstdint>
#include <vector>

namespace moewb {

// The model's parameters with `layers` condensed, each to its shared experts and `experts` routed
// experts (which ones does not change the count: placeholders 0..experts-1). Throws moewb::Error for
// a layer that is no MoE layer or more experts than a layer has.
uint64_t condensedParameters(const ModelSpec& spec, const std::vector<int>& layers, int experts);

// The candidate layers a CD-MoE search uses: `candidateLayers` sorted without duplicates, or every MoE
// layer when it is empty.
std::vector<int> condenseCandidates(const ModelSpec& spec, const std::vector<int>& candidateLayers);

// The smallest parameter count a target can ask for: every candidate condensed. A target below it is
// refused (core's condenseLayers and the GUI's check).
inline uint64_t smallestCondenseTarget(const ModelSpec& spec, const std::vector<int>& candidates, int experts)
{
    return condensedParameters(spec, candidates, experts);
}

} // namespace moewb
