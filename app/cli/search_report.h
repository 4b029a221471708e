// The report of `moe-compress search`: a table on stdout, or JSON with --json.
#pragma once
#include "core/search/model_search.h"

#include <string>

namespace moewb::cli {

struct SearchReport {
    std::string model, session;
    int64_t tokens = 0;  // calibration tokens
    double calibrationSeconds = 0, geneticSeconds = 0, blockSeconds = 0;
    bool reused = false;  // the session already held this plan (nothing was searched)
    const ModelSearchResult* result = nullptr;
};

void printSearchReport(const SearchReport& report);
void printSearchJson(const SearchReport& report);

} // namespace moewb::cli
