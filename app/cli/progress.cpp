#include "app/cli/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <unistd.h>

namespace moewb::cli {

namespace {

volatile std::sig_atomic_t g_interrupts = 0; // the first stopping signal (SIGINT, SIGTERM, SIGHUP), 0: none
std::atomic<long long> g_firstInterruptNs{0}; // lock-free, so usable in the handler

long long monotonicNs()
{
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t); // async-signal-safe
    return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

extern "C" void onInterrupt(int sig)
{
    const long long now = monotonicNs();
    if (g_interrupts != 0) {
        // A second Ctrl-C (or kill): the user does not want to wait for the clean stop. One keypress
        // can arrive twice (to the process and to its group, as `timeout` and some shells send it):
        // copies within 300 ms of the first are the same request.
        if (now - g_firstInterruptNs.load() > 300000000LL)
            ::_exit(128 + sig);
        return;
    }
    g_firstInterruptNs.store(now);
    g_interrupts = sig;
}

std::string duration(double seconds)
{
    if (!(seconds >= 0) || seconds > 359999)
        return "--:--";
    const auto s = static_cast<long>(seconds + 0.5);
    return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                     : fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string rate(double perSecond, const std::string& unit)
{
    if (perSecond >= 1e6)
        return fmt::format("{:.2f} M{}/s", perSecond / 1e6, unit);
    if (perSecond >= 1e4)
        return fmt::format("{:.1f} k{}/s", perSecond / 1e3, unit);
    return fmt::format("{:.1f} {}/s", perSecond, unit);
}

} // namespace

void installInterruptHandler()
{
    static std::atomic<bool> installed{false};
    if (installed.exchange(true))
        return;
    struct sigaction action = {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    // A kill (SIGTERM: kill, timeout, systemd; SIGHUP: the terminal closed) stops as cleanly as Ctrl-C:
    // without this, a save or an export in progress left its temporary file or folder behind.
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(sig, &action, nullptr);
}

bool interrupted()
{
    return g_interrupts > 0;
}

int interruptExitCode()
{
    return 128 + (g_interrupts > 0 ? static_cast<int>(g_interrupts) : SIGINT);
}

ProgressBar::ProgressBar(std::string label, double total, std::string unit, std::FILE* out)
    : m_label(std::move(label))
    , m_unit(std::move(unit))
    , m_total(total)
    , m_out(out)
    , m_terminal(::isatty(::fileno(out)) == 1)
    , m_start(std::chrono::steady_clock::now())
    , m_lastDraw(m_start)
{
    if (m_terminal)
        draw(0, false);
}

ProgressBar::~ProgressBar()
{
    finish();
}

bool ProgressBar::update(double fraction)
{
    if (interrupted())
        return false;
    m_fraction = std::clamp(fraction, m_fraction, 1.0);
    const auto now = std::chrono::steady_clock::now();
    const double sinceDraw = std::chrono::duration<double>(now - m_lastDraw).count();
    const bool due
        = m_terminal ? sinceDraw >= 0.1 : (m_fraction - m_lastPrintedFraction >= 0.1 || sinceDraw >= 5.0);
    if (due && m_fraction < 1.0)
        draw(m_fraction, false);
    return true;
}

void ProgressBar::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    if (interrupted()) {
        if (m_terminal)
            fmt::print(m_out, "\n");
        return;
    }
    draw(m_fraction, true);
}

void ProgressBar::draw(double fraction, bool final)
{
    const auto now = std::chrono::steady_clock::now();
    m_lastDraw = now;
    m_lastPrintedFraction = fraction;
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    std::string speed;
    if (m_total > 0 && elapsed > 0 && fraction > 0)
        speed = rate(fraction * m_total / elapsed, m_unit);
    const std::string timing = final
        ? fmt::format("in {}", duration(elapsed))
        : fmt::format("ETA {}", fraction > 0 ? duration(elapsed * (1 - fraction) / fraction) : "--:--");
    const int percent = static_cast<int>(fraction * 100);
    if (m_terminal) {
        constexpr int width = 28;
        const int filled = static_cast<int>(fraction * width);
        fmt::print(m_out, "\r{} [{}{}] {:3}%  {}  {}\x1b[K", m_label,
            std::string(static_cast<size_t>(filled), '#'),
            std::string(static_cast<size_t>(width - filled), '.'), percent, speed, timing);
        if (final)
            fmt::print(m_out, "\n");
    } else {
        fmt::print(m_out, "{}: {}%{}{}, {}\n", m_label, percent, speed.empty() ? "" : ", ", speed, timing);
    }
    std::fflush(m_out);
}

std::function<bool(const std::string&, double)> StageBars::callback()
{
    return [this](const std::string& stage, double fraction) {
        if (!m_bar || stage != m_stage) {
            m_bar.reset();
            m_stage = stage;
            const bool tokens = stage == "analysis" || stage == "calibration" || stage == "importance" || stage == "statistics";
            m_bar = std::make_unique<ProgressBar>(stage, tokens ? m_tokens : 0.0);
        }
        return m_bar->update(fraction);
    };
}

} // namespace moewb::cli
