// Process memory figures. mmap'd file pages count in RSS even while streaming works, so the working
// set is measured as RssAnon (anonymous memory) from /proc/self/status.
#pragma once
#include <cstdint>

namespace moewb {

struct MemoryUsage {
    int64_t rssAnonBytes = 0;
    int64_t rssFileBytes = 0;
    int64_t peakRssBytes = 0;  // VmHWM (includes file pages)
};

MemoryUsage currentMemoryUsage();

} // namespace moewb
