#include "core/io/text_format.h"

#include "core/io/safetensors_header.h"

#include <fmt/format.h>

namespace moewb {

std::string printable(std::string_view text, size_t maxBytes)
{
    std::string out;
    size_t i = 0;
    while (i < text.size() && out.size() < maxBytes) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c >= 0x80) { // one whole, valid UTF-8 character is kept
            const size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            const std::string_view head = text.substr(i, length);
            if (head.size() == length && !findInvalidUtf8(head)) {
                out += head;
                i += length;
                continue;
            }
        }
        out += fmt::format("\\x{:02x}", c);
        ++i;
    }
    if (i < text.size())
        out += "...";
    return out;
}

} // namespace moewb
