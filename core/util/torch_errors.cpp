#include "core/util/torch_errors.h"

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include <regex>

namespace moewb {

namespace {

// "you tried to allocate 26843545600 bytes" (CPU) or "Tried to allocate 2.00 GiB" (CUDA).
std::string requestedSize(const std::string& message)
{
    std::smatch m;
    if (std::regex_search(message, m, std::regex("allocate ([0-9]+) bytes")))
        return fmt::format("{:.1f} GiB", std::stod(m[1].str()) / double(1ull << 30));
    if (std::regex_search(message, m, std::regex("[Tt]ried to allocate ([0-9.]+ [KMGT]?i?B)")))
        return m[1].str();
    return {};
}

} // namespace

bool isOutOfMemory(const std::exception& e)
{
    const auto* torchError = dynamic_cast<const c10::Error*>(&e);
    if (!torchError)
        return false;
    const std::string message = torchError->what_without_backtrace();
    return message.find("out of memory") != std::string::npos || message.find("can't allocate memory") != std::string::npos;
}

std::string errorMessage(const std::exception& e)
{
    const auto* torchError = dynamic_cast<const c10::Error*>(&e);
    if (!torchError)
        return e.what();
    const std::string message = torchError->what_without_backtrace();
    if (isOutOfMemory(e)) {
        const std::string size = requestedSize(message);
        return size.empty() ? std::string("out of memory") : fmt::format("out of memory: {} were asked for at once", size);
    }
    return message;
}

} // namespace moewb
