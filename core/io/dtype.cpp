// Element types of safetensors files and the bit-exact conversions core needs where LibTorch lacks a
// type (fp8) or where tests check values by hand.
//
// Sub-byte types follow the reference safetensors library: an F4 element is 4 bits and an F6 element
// 6 bits, packed without padding, so a tensor is valid only when numel * bits is a whole number of
// bytes (F4: even numel; F6: numel a multiple of 4). How the bits are ordered inside a byte is not
// defined by safetensors; core never computes with these types, it only sizes and copies them.
#include "core/io/dtype.h"

#include "core/io/error.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace moewb {

namespace {

struct DTypeTraits {
    DType dtype;
    std::string_view name;
    unsigned bits;
    bool floating;
    bool convertible;
};

// Order matches the enum, checked below.
constexpr std::array<DTypeTraits, 20> kTraits{{
    {DType::Bool, "BOOL", 8, false, true},
    {DType::U8, "U8", 8, false, true},
    {DType::I8, "I8", 8, false, true},
    {DType::I16, "I16", 16, false, true},
    {DType::U16, "U16", 16, false, true},
    {DType::F16, "F16", 16, true, true},
    {DType::BF16, "BF16", 16, true, true},
    {DType::I32, "I32", 32, false, true},
    {DType::U32, "U32", 32, false, true},
    {DType::F32, "F32", 32, true, true},
    {DType::F64, "F64", 64, true, true},
    {DType::I64, "I64", 64, false, true},
    {DType::U64, "U64", 64, false, true},
    {DType::F8_E4M3, "F8_E4M3", 8, true, true},
    {DType::F8_E5M2, "F8_E5M2", 8, true, true},
    {DType::F8_E8M0, "F8_E8M0", 8, true, false},
    {DType::F4, "F4", 4, true, false},
    {DType::F6_E2M3, "F6_E2M3", 6, true, false},
    {DType::F6_E3M2, "F6_E3M2", 6, true, false},
    {DType::C64, "C64", 64, false, false},
}};

constexpr bool traitsInEnumOrder()
{
    for (size_t i = 0; i < kTraits.size(); ++i) {
        if (static_cast<size_t>(kTraits[i].dtype) != i)
            return false;
    }
    return true;
}
static_assert(traitsInEnumOrder(), "kTraits must list the DType enumerators in order");

const DTypeTraits& traits(DType dtype)
{
    const auto index = static_cast<size_t>(dtype);
    if (index >= kTraits.size())
        fail("invalid dtype value {}", index);
    return kTraits[index];
}

template <typename T> T loadUnaligned(const std::byte* src)
{
    T value;
    std::memcpy(&value, src, sizeof(T));
    return value;
}

} // namespace

std::string_view dtypeName(DType dtype)
{
    return traits(dtype).name;
}

std::optional<DType> parseDType(std::string_view name)
{
    for (const auto& t : kTraits) {
        if (t.name == name)
            return t.dtype;
    }
    return std::nullopt;
}

size_t dtypeSize(DType dtype)
{
    const unsigned bits = traits(dtype).bits;
    return bits % 8 == 0 ? bits / 8 : 0;
}

std::optional<uint64_t> dtypeBytes(DType dtype, uint64_t numel)
{
    const uint64_t bits = traits(dtype).bits;
    if (bits % 8 == 0) {
        const uint64_t size = bits / 8;
        if (numel > std::numeric_limits<uint64_t>::max() / size)
            return std::nullopt;
        return numel * size;
    }
    if (numel > std::numeric_limits<uint64_t>::max() / bits)
        return std::nullopt;
    const uint64_t totalBits = numel * bits;
    if (totalBits % 8 != 0)
        return std::nullopt;
    return totalBits / 8;
}

bool isFloating(DType dtype)
{
    return traits(dtype).floating;
}

bool isConvertible(DType dtype)
{
    return traits(dtype).convertible;
}

float bf16ToFloat(uint16_t bits)
{
    return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToBf16(float value)
{
    const uint32_t bits = std::bit_cast<uint32_t>(value);
    if (std::isnan(value)) {
        // Keep sign and the top payload bits; force the quiet bit so truncation cannot yield inf.
        return static_cast<uint16_t>((bits >> 16) | 0x0040u);
    }
    // Round to nearest, ties to even: add 0x7fff plus the lowest kept bit. Overflow carries into
    // the exponent and yields inf, which is the correctly rounded result.
    const uint32_t lsb = (bits >> 16) & 1u;
    return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

float f16ToFloat(uint16_t h)
{
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    const uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) // inf / NaN (payload kept in the top mantissa bits)
        return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
    if (exponent != 0)
        return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
}

uint16_t floatToF16(float value)
{
    const uint32_t bits = std::bit_cast<uint32_t>(value);
    const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    const uint32_t absBits = bits & 0x7fffffffu;
    if (absBits > 0x7f800000u) // NaN: keep the top payload bits, force quiet
        return static_cast<uint16_t>(sign | 0x7e00u | ((absBits >> 13) & 0x3ffu));
    if (absBits >= 0x477ff000u) // >= 65520 (half-way above 65504, ties go to even = inf), or inf
        return static_cast<uint16_t>(sign | 0x7c00u);
    if (absBits >= 0x38800000u) {
        // Normal half: rebias the exponent (127 -> 15) and round 13 dropped bits to nearest even.
        const uint32_t rebased = absBits - 0x38000000u;
        const uint32_t lsb = (rebased >> 13) & 1u;
        return static_cast<uint16_t>(sign | ((rebased + 0x0fffu + lsb) >> 13));
    }
    if (absBits < 0x33000000u) // below 2^-25 (half the smallest subnormal): rounds to zero
        return sign;
    // Subnormal half: value = m * 2^-24 with m in [0.5, 1024); round m to nearest even.
    const uint32_t exponent = absBits >> 23; // 102..112
    const uint32_t mantissa = (absBits & 0x7fffffu) | 0x800000u; // 24 significant bits
    const uint32_t shift = 126 - exponent; // 14..24: bits to drop
    const uint32_t kept = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    uint32_t rounded = kept;
    if (rest > half || (rest == half && (kept & 1u)))
        ++rounded; // may carry into the smallest normal (0x0400), which is correct
    return static_cast<uint16_t>(sign | rounded);
}

float f8e4m3ToFloat(uint8_t bits)
{
    // E4M3FN (torch.float8_e4m3fn): bias 7, no infinities, S.1111.111 is NaN, max 448.
    const bool negative = bits & 0x80u;
    const unsigned exponent = (bits >> 3) & 0xfu;
    const unsigned mantissa = bits & 0x7u;
    if (exponent == 0xf && mantissa == 0x7)
        return negative ? -std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::quiet_NaN();
    float magnitude;
    if (exponent == 0)
        magnitude = std::ldexp(static_cast<float>(mantissa), -9); // (m/8) * 2^-6
    else
        magnitude = std::ldexp(static_cast<float>(8 + mantissa), static_cast<int>(exponent) - 10);
    return negative ? -magnitude : magnitude;
}

float f8e5m2ToFloat(uint8_t bits)
{
    // E5M2: IEEE-like, bias 15, exponent 31 holds inf (mantissa 0) and NaN; it is the top byte of
    // an f16, so the f16 conversion is exact.
    return f16ToFloat(static_cast<uint16_t>(static_cast<uint16_t>(bits) << 8));
}

void convertToFloat(DType dtype, const std::byte* src, size_t count, float* dst)
{
    switch (dtype) {
    case DType::Bool:
        for (size_t i = 0; i < count; ++i)
            dst[i] = src[i] != std::byte{0} ? 1.0f : 0.0f;
        return;
    case DType::U8:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(std::to_integer<uint8_t>(src[i]));
        return;
    case DType::I8:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(static_cast<int8_t>(std::to_integer<uint8_t>(src[i])));
        return;
    case DType::I16:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(loadUnaligned<int16_t>(src + 2 * i));
        return;
    case DType::U16:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(loadUnaligned<uint16_t>(src + 2 * i));
        return;
    case DType::F16:
        for (size_t i = 0; i < count; ++i)
            dst[i] = f16ToFloat(loadUnaligned<uint16_t>(src + 2 * i));
        return;
    case DType::BF16:
        for (size_t i = 0; i < count; ++i)
            dst[i] = bf16ToFloat(loadUnaligned<uint16_t>(src + 2 * i));
        return;
    case DType::I32:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(loadUnaligned<int32_t>(src + 4 * i));
        return;
    case DType::U32:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(loadUnaligned<uint32_t>(src + 4 * i));
        return;
    case DType::F32:
        if (count > 0)
            std::memcpy(dst, src, count * sizeof(float));
        return;
    case DType::F64:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(loadUnaligned<double>(src + 8 * i));
        return;
    case DType::I64:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(loadUnaligned<int64_t>(src + 8 * i));
        return;
    case DType::U64:
        for (size_t i = 0; i < count; ++i)
            dst[i] = static_cast<float>(loadUnaligned<uint64_t>(src + 8 * i));
        return;
    case DType::F8_E4M3:
        for (size_t i = 0; i < count; ++i)
            dst[i] = f8e4m3ToFloat(std::to_integer<uint8_t>(src[i]));
        return;
    case DType::F8_E5M2:
        for (size_t i = 0; i < count; ++i)
            dst[i] = f8e5m2ToFloat(std::to_integer<uint8_t>(src[i]));
        return;
    case DType::F8_E8M0:
    case DType::F4:
    case DType::F6_E2M3:
    case DType::F6_E3M2:
    case DType::C64:
        break;
    }
    fail("cannot convert {} to float: the type is recognised but not supported for computation",
        dtypeName(dtype));
}

} // namespace moewb
