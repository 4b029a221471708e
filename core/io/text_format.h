// Number and text formatting shared by the CLI and core messages.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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

// File content quoted in a message (a config string, a JSON parser's "last read: '...'"), made safe to
// print: control bytes, DEL and bytes that are not valid UTF-8 become \xNN (a garbage tokenizer.json
// echoed raw binary to the terminal); valid UTF-8 is kept. At most about `maxBytes` of output (a hostile
// value may be megabytes long), then "...". Every message that quotes file content goes through this.
inline constexpr size_t kQuotedValueBytes = 60, kQuotedParseErrorBytes = 300;
std::string printable(std::string_view text, size_t maxBytes = kQuotedValueBytes);

} // namespace moewb
