// Progress for long CLI commands. On a terminal: one line redrawn with \r (bar, percentage, rate and
// ETA), at most ~10 times a second. Otherwise (a log file, a pipe): a plain line every 10% or every
// few seconds. Ctrl-C (SIGINT), SIGTERM and SIGHUP set a flag that update() reports, so core stops at the
// next callback and the command exits 128 + the signal (130, 143, 129) through moewb::Cancelled, its
// temporary files removed; a second signal ends the process at once.
#pragma once
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

namespace moewb::cli {

// Installs the handler for SIGINT, SIGTERM and SIGHUP (idempotent).
void installInterruptHandler();
bool interrupted();
// The exit code of a cancelled command: 128 + the first signal received (130 when none).
int interruptExitCode();

class ProgressBar {
public:
    // `total` units (e.g. tokens) make the rate "N unit/s"; total <= 0 shows only percentages.
    ProgressBar(std::string label, double total = 0, std::string unit = "tok", std::FILE* out = stderr);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    // fraction in [0, 1]; returns false once Ctrl-C was pressed (core then throws Cancelled).
    bool update(double fraction);
    // Draws the final state and ends the line (also done by the destructor).
    void finish();

private:
    void draw(double fraction, bool final);

    std::string m_label, m_unit;
    double m_total;
    std::FILE* m_out;
    bool m_terminal;
    bool m_finished = false;
    std::chrono::steady_clock::time_point m_start, m_lastDraw;
    double m_fraction = 0, m_lastPrintedFraction = 0;
};

// One bar per stage of a multi-stage job: a callback (stage, fraction) opens a new bar whenever the
// stage name changes. Stages that stream the calibration tokens ("analysis", "calibration",
// "importance", "statistics") show a token rate; the others percentages.
class StageBars {
public:
    explicit StageBars(double tokens = 0) : m_tokens(tokens) {}
    std::function<bool(const std::string& stage, double fraction)> callback();
    void finish() { m_bar.reset(); }

private:
    double m_tokens;
    std::string m_stage;
    std::unique_ptr<ProgressBar> m_bar;
};

} // namespace moewb::cli
