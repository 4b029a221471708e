#include "core/util/memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace moewb {

MemoryUsage currentMemoryUsage()
{
    MemoryUsage usage;
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        std::istringstream fields(line);
        std::string key;
        int64_t kib = 0;
        fields >> key >> kib;
        if (key == "RssAnon:")
            usage.rssAnonBytes = kib * 1024;
        else if (key == "RssFile:")
            usage.rssFileBytes = kib * 1024;
        else if (key == "VmHWM:")
            usage.peakRssBytes = kib * 1024;
    }
    return usage;
}

} // namespace moewb
