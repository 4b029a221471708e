// Warnings from core code about something that is not an error but that a user should know (a config
// that leaves checkpoint layers unused). Core prints nothing itself: the program installs a handler
// (moe-compress prints "moe-compress: warning: ..." on stderr). Each distinct message reaches the
// handler once per process, however often the model is opened.
#pragma once
#include <functional>
#include <string>

namespace moewb {

using WarningHandler = std::function<void(const std::string&)>;

// Replaces the handler (none by default: warnings are dropped). Not thread-safe against warnOnce:
// install it at start-up.
void setWarningHandler(WarningHandler handler);

// Passes `message` to the handler unless the same text was passed before. Thread-safe.
void warnOnce(const std::string& message);

} // namespace moewb
