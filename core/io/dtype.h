// Element types of safetensors files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace moewb {

enum class DType : uint8_t {
    Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64,
    F8_E4M3, F8_E5M2,
    // Recognised so files that use them get a clear message; not computed with.
    F8_E8M0, F4, F6_E2M3, F6_E3M2, C64,
};

// Name as written in safetensors headers ("BF16", "F8_E4M3", ...).
std::string_view dtypeName(DType dtype);
std::optional<DType> parseDType(std::string_view name);
// Bytes per element; 0 for sub-byte types (F4, F6_*), whose sizes are computed from the element count.
size_t dtypeSize(DType dtype);
// Bytes for `numel` elements, or nullopt on overflow / for packed sub-byte types that cannot hold numel.
std::optional<uint64_t> dtypeBytes(DType dtype, uint64_t numel);
bool isFloating(DType dtype);
// True where core converts the type to a compute dtype (F16/BF16/F32/F64/F8_E4M3/F8_E5M2 and ints).
bool isConvertible(DType dtype);

// Conversions used where LibTorch lacks the type (fp8) and by tests.
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);  // round to nearest even, NaN preserved
float f16ToFloat(uint16_t bits);
uint16_t floatToF16(float value);
float f8e4m3ToFloat(uint8_t bits);
float f8e5m2ToFloat(uint8_t bits);

// Converts `count` elements of `dtype` at `src` (any alignment) into floats.
void convertToFloat(DType dtype, const std::byte* src, size_t count, float* dst);

} // namespace moewb
