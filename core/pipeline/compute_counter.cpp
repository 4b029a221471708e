// One process-wide table of atomics. The mutex guards the map's shape (a new stage inserts a node);
// counts are atomics so a snapshot never tears. Stages count once per run, so the lock costs nothing.
#include "core/pipeline/compute_counter.h"

#include <atomic>
#include <mutex>

namespace moewb {
namespace {

struct Counters {
    std::mutex mutex;
    std::map<std::string, std::atomic<uint64_t>, std::less<>> counts;
};

Counters& counters()
{
    static Counters instance;
    return instance;
}

std::atomic<uint64_t>& counterFor(std::string_view stage)
{
    Counters& c = counters();
    std::lock_guard lock(c.mutex);
    auto it = c.counts.find(stage);
    if (it == c.counts.end())
        it = c.counts.try_emplace(std::string(stage), 0).first;
    return it->second;
}

} // namespace

void countCompute(std::string_view stage, uint64_t times)
{
    counterFor(stage).fetch_add(times, std::memory_order_relaxed);
}

uint64_t computeCount(std::string_view stage)
{
    Counters& c = counters();
    std::lock_guard lock(c.mutex);
    auto it = c.counts.find(stage);
    return it == c.counts.end() ? 0 : it->second.load(std::memory_order_relaxed);
}

std::map<std::string, uint64_t> computeCounts()
{
    Counters& c = counters();
    std::lock_guard lock(c.mutex);
    std::map<std::string, uint64_t> out;
    for (const auto& [name, value] : c.counts)
        out[name] = value.load(std::memory_order_relaxed);
    return out;
}

void resetComputeCounts()
{
    Counters& c = counters();
    std::lock_guard lock(c.mutex);
    for (auto& [name, value] : c.counts)
        value.store(0, std::memory_order_relaxed);
}

} // namespace moewb
