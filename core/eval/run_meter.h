// Measures an evaluation stage: wall time, tokens and the peak working set. RssAnon (anonymous
// memory, not the mmap'd checkpoint pages) is sampled by a background thread every few milliseconds,
// so short peaks inside a forward pass (one materialised layer plus activations) are seen.
#pragma once
#include "core/eval/eval_types.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace moewb {

class RunMeter {
public:
    explicit RunMeter(std::chrono::milliseconds interval = std::chrono::milliseconds(5));
    ~RunMeter();
    RunMeter(const RunMeter&) = delete;
    RunMeter& operator=(const RunMeter&) = delete;

    void addTokens(int64_t tokens) { m_tokens += tokens; }
    void addPass() { ++m_passes; }
    void sample(); // also sample now (e.g. right after a pass)
    // Stops sampling and returns the figures; call once.
    RunStats finish();

private:
    void loop();

    std::chrono::milliseconds m_interval;
    std::chrono::steady_clock::time_point m_start;
    int64_t m_startAnon = 0;
    std::atomic<int64_t> m_peakAnon{0};
    int64_t m_tokens = 0, m_passes = 0;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace moewb
