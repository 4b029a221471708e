// Output of the decompose stage (text and --json), and parsing of rank overrides.
#pragma once
#include "core/lowrank/decompose.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace moewb::cli {

struct LowRankReport {
    std::string model, session;
    const ModelSpec* spec = nullptr;
    const Plan* plan = nullptr;             // the plan in the session
    const DecomposeResult* result = nullptr; // null when the session's plan was reused
    double seconds = 0;
};

void printLowRankReport(const LowRankReport& report);
void printLowRankJson(const LowRankReport& report);

// "L=R" -> layer average rank; "L:E=R" -> expert rank. Throws moewb::Error naming the bad entry.
std::map<int, double> parseLayerRanks(const std::vector<std::string>& entries);
std::map<std::pair<int, int>, int> parseExpertRanks(const std::vector<std::string>& entries);

} // namespace moewb::cli
