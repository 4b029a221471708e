// The message of the moewb::Error an action throws, for tests that check what a user is told.
#pragma once
#include <functional>
#include <string>

#include "core/io/error.h"

namespace moewb::test {

// "<no error>" when the action succeeds (no message contains it, so a CHECK on the text fails).
inline std::string errorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

} // namespace moewb::test
