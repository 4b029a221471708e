#include "core/eval/run_meter.h"

#include "core/util/memory.h"

namespace moewb {

RunMeter::RunMeter(std::chrono::milliseconds interval)
    : m_interval(interval)
    , m_start(std::chrono::steady_clock::now())
    , m_startAnon(currentMemoryUsage().rssAnonBytes)
{
    m_peakAnon = m_startAnon;
    m_thread = std::thread([this] { loop(); });
}

RunMeter::~RunMeter()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void RunMeter::sample()
{
    const int64_t now = currentMemoryUsage().rssAnonBytes;
    int64_t peak = m_peakAnon.load();
    while (now > peak && !m_peakAnon.compare_exchange_weak(peak, now)) { }
}

void RunMeter::loop()
{
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        lock.unlock();
        sample();
        lock.lock();
        m_wake.wait_for(lock, m_interval, [this] { return m_stop; });
    }
}

RunStats RunMeter::finish()
{
    sample();
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    RunStats stats;
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    stats.tokens = m_tokens;
    stats.forwardPasses = m_passes;
    stats.tokensPerSecond = stats.seconds > 0 ? static_cast<double>(m_tokens) / stats.seconds : 0;
    stats.startRssAnonBytes = m_startAnon;
    stats.peakRssAnonBytes = m_peakAnon.load();
    return stats;
}

} // namespace moewb
