#include "core/io/warning.h"

#include <mutex>
#include <set>

namespace moewb {

namespace {

struct Warnings {
    std::mutex mutex;
    std::set<std::string> given;
    WarningHandler handler;
};

Warnings& warnings()
{
    static Warnings w;
    return w;
}

} // namespace

void setWarningHandler(WarningHandler handler)
{
    auto& w = warnings();
    std::lock_guard lock(w.mutex);
    w.handler = std::move(handler);
}

void warnOnce(const std::string& message)
{
    auto& w = warnings();
    std::lock_guard lock(w.mutex);
    if (w.handler && w.given.insert(message).second)
        w.handler(message);
}

} // namespace moewb
