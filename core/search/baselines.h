// Baseline pruning plans with the same per-layer counts P_l as the MoE-I² search, for comparisons
// (the search quality table, docs/search.md): remove the P_l least-selected experts of each layer
// (routing frequency on the calibration data, ties broken by lower softmax mass, then by id), or P_l
// experts drawn uniformly at random (seeded; each layer's draw depends only on (seed, layer)).
#pragma once
#include "core/plan/plan.h"
#include "core/session/session_types.h"

#include <cstdint>
#include <map>

namespace moewb {

// `counts`: decoder layer -> P_l. Throws moewb::Error when a layer has no router statistics row.
Plan frequencyPruningPlan(const RouterStats& stats, const std::map<int, int>& counts, const std::string& name);
// `experts`: decoder layer -> E_l.
Plan randomPruningPlan(const std::map<int, int>& experts, const std::map<int, int>& counts, uint64_t seed,
                       const std::string& name);

} // namespace moewb
