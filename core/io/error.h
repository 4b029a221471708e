// Errors raised by core. Messages must let a user act: name the file, the tensor or field, and the
// mismatch ("model.safetensors: tensor 'x' has shape [60,2048], config says num_experts=64").
#pragma once
#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace moewb {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown when a long operation's progress callback asked to stop.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args)
{
    throw Error(fmt::format(format, std::forward<Args>(args)...));
}

} // namespace moewb
