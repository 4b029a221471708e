// libFuzzer target for the safetensors header and index parsers, driven from memory (no temporary
// file). Any outcome other than success or moewb::Error — a sanitizer report, an escaping
// nlohmann exception, a read outside the input — is a bug.
#include "core/io/dtype.h"
#include "core/io/error.h"
#include "core/io/safetensors_header.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
    try {
        const moewb::SafetensorsHeader header = moewb::parseSafetensorsHeader(file, "fuzz.safetensors");
        // Touch every tensor's bytes the way readers do: the span must lie inside the input.
        const size_t dataStart = 8 + header.headerSize;
        std::vector<float> scratch;
        for (const auto& info : header.tensors) {
            if (info.dataEnd > size - dataStart || info.dataBegin > info.dataEnd)
                __builtin_trap();
            if (!moewb::isConvertible(info.dtype))
                continue;
            const size_t elementSize = moewb::dtypeSize(info.dtype);
            const size_t count = std::min<uint64_t>(info.numel(), 4096);
            if (count * elementSize > info.nbytes())
                __builtin_trap();
            scratch.resize(count);
            moewb::convertToFloat(
                info.dtype, file.data() + dataStart + info.dataBegin, count, scratch.data());
        }
    } catch (const moewb::Error&) {
    }
    try {
        (void)moewb::parseSafetensorsIndex(
            std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.index.json");
    } catch (const moewb::Error&) {
    }
    return 0;
}
