// Progress for long CLI commands. On a terminal: one line redrawn with \r (bar, percentage, rate and
// ETA), at most ~10 times a second. Otherwise (a log file, a pipe): a plain line every 10% or every
// few seconds. Ctrl-C sets a flag that update() reports, so core stops at the next callback and the
// command exits 130 through moewb::Cancelled; a second Ctrl-C ends the process at once.
#pragma once
#include <chrono>
#include <cstdio>
#include <string>

namespace moewb::cli {

// Installs the SIGINT handler (idempotent).
void installInterruptHandler();
bool interrupted();

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

} // namespace moewb::cli
