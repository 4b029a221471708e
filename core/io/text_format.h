// Number formatting shared by the CLI and core messages.
#pragma once
#include <cstdint>
#include <string>

namespace moewb {

// 1234567 -> "1,234,567"
inline std::string grouped(uint64_t n)
{
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

} // namespace moewb
