// dtypes: names, sizes (sub-byte packing), and bit-exact conversions checked against hand-computed values.
#include "core/io/dtype.h"
#include "core/io/error.h"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace moewb;

namespace {

const DType kAll[] = {DType::Bool, DType::U8, DType::I8, DType::I16, DType::U16, DType::F16, DType::BF16,
    DType::I32, DType::U32, DType::F32, DType::F64, DType::I64, DType::U64, DType::F8_E4M3, DType::F8_E5M2,
    DType::F8_E8M0, DType::F4, DType::F6_E2M3, DType::F6_E3M2, DType::C64};

float floatOf(uint32_t bits)
{
    return std::bit_cast<float>(bits);
}

} // namespace

TEST_CASE("dtype names round-trip and unknown names are rejected")
{
    for (const DType dtype : kAll) {
        const auto parsed = parseDType(dtypeName(dtype));
        REQUIRE(parsed.has_value());
        CHECK(*parsed == dtype);
    }
    CHECK(dtypeName(DType::BF16) == "BF16");
    CHECK(dtypeName(DType::Bool) == "BOOL");
    CHECK(dtypeName(DType::F8_E4M3) == "F8_E4M3");
    CHECK_FALSE(parseDType("bf16").has_value()); // case-sensitive, as in the format
    CHECK_FALSE(parseDType("F128").has_value());
    CHECK_FALSE(parseDType("").has_value());
}

TEST_CASE("dtype sizes, including packed sub-byte types")
{
    CHECK(dtypeSize(DType::Bool) == 1);
    CHECK(dtypeSize(DType::BF16) == 2);
    CHECK(dtypeSize(DType::F32) == 4);
    CHECK(dtypeSize(DType::U64) == 8);
    CHECK(dtypeSize(DType::F8_E8M0) == 1);
    CHECK(dtypeSize(DType::C64) == 8);
    CHECK(dtypeSize(DType::F4) == 0);
    CHECK(dtypeSize(DType::F6_E2M3) == 0);

    CHECK(dtypeBytes(DType::BF16, 6) == 12u);
    CHECK(dtypeBytes(DType::F32, 0) == 0u);
    CHECK(dtypeBytes(DType::F4, 4) == 2u);
    CHECK_FALSE(dtypeBytes(DType::F4, 3).has_value()); // 12 bits
    CHECK(dtypeBytes(DType::F6_E3M2, 4) == 3u);
    CHECK_FALSE(dtypeBytes(DType::F6_E3M2, 2).has_value()); // 12 bits
    CHECK(
        dtypeBytes(DType::U8, std::numeric_limits<uint64_t>::max()) == std::numeric_limits<uint64_t>::max());
    CHECK_FALSE(dtypeBytes(DType::F32, uint64_t{1} << 62).has_value());
    CHECK_FALSE(dtypeBytes(DType::F4, std::numeric_limits<uint64_t>::max()).has_value());
}

TEST_CASE("dtype classification")
{
    CHECK(isFloating(DType::BF16));
    CHECK(isFloating(DType::F8_E5M2));
    CHECK(isFloating(DType::F4));
    CHECK_FALSE(isFloating(DType::I32));
    CHECK_FALSE(isFloating(DType::Bool));
    CHECK_FALSE(isFloating(DType::C64));
    for (const DType dtype :
        {DType::Bool, DType::U8, DType::I8, DType::I16, DType::U16, DType::F16, DType::BF16, DType::I32,
            DType::U32, DType::F32, DType::F64, DType::I64, DType::U64, DType::F8_E4M3, DType::F8_E5M2})
        CHECK(isConvertible(dtype));
    for (const DType dtype : {DType::F8_E8M0, DType::F4, DType::F6_E2M3, DType::F6_E3M2, DType::C64})
        CHECK_FALSE(isConvertible(dtype));
}

TEST_CASE("bf16 conversions: exact values and round to nearest even")
{
    CHECK(floatToBf16(1.0f) == 0x3f80);
    CHECK(floatToBf16(-2.0f) == 0xc000);
    CHECK(floatToBf16(0.0f) == 0x0000);
    CHECK(floatToBf16(-0.0f) == 0x8000);
    CHECK(floatToBf16(std::numeric_limits<float>::infinity()) == 0x7f80);
    CHECK(bf16ToFloat(0x3f80) == 1.0f);
    CHECK(bf16ToFloat(0x4049) == 3.140625f);
    // 1 + 2^-8 lies exactly between 0x3f80 (1.0) and 0x3f81: ties go to the even mantissa.
    CHECK(floatToBf16(floatOf(0x3f808000u)) == 0x3f80);
    // 1 + 3*2^-8 lies between 0x3f81 and 0x3f82: the even one is 0x3f82.
    CHECK(floatToBf16(floatOf(0x3f818000u)) == 0x3f82);
    CHECK(floatToBf16(floatOf(0x3f808001u)) == 0x3f81); // just above the tie
    CHECK(floatToBf16(floatOf(0x3f807fffu)) == 0x3f80); // just below
    // Rounding past the largest finite bf16 gives inf.
    CHECK(floatToBf16(std::numeric_limits<float>::max()) == 0x7f80);
    // NaN stays NaN (never becomes inf through truncation) and keeps its sign.
    const uint16_t nan = floatToBf16(floatOf(0x7f800001u));
    CHECK(std::isnan(bf16ToFloat(nan)));
    CHECK(std::isnan(bf16ToFloat(floatToBf16(-std::numeric_limits<float>::quiet_NaN()))));
    CHECK((floatToBf16(-std::numeric_limits<float>::quiet_NaN()) & 0x8000) != 0);
    // Every bf16 value converts to float and back unchanged.
    for (uint32_t b = 0; b < 0x10000; ++b) {
        const float f = bf16ToFloat(static_cast<uint16_t>(b));
        if (std::isnan(f))
            continue;
        if (floatToBf16(f) != b) {
            FAIL_CHECK("bf16 round trip changed 0x" << std::hex << b);
            break;
        }
    }
}

TEST_CASE("f16 conversions: normals, subnormals, overflow and ties")
{
    CHECK(floatToF16(1.0f) == 0x3c00);
    CHECK(floatToF16(-2.0f) == 0xc000);
    CHECK(floatToF16(65504.0f) == 0x7bff); // largest finite
    CHECK(floatToF16(65519.0f) == 0x7bff); // below the half-way point
    CHECK(floatToF16(65520.0f) == 0x7c00); // half-way: ties to even = inf
    CHECK(floatToF16(1e10f) == 0x7c00);
    CHECK(floatToF16(-std::numeric_limits<float>::infinity()) == 0xfc00);
    CHECK(f16ToFloat(0x3c00) == 1.0f);
    CHECK(f16ToFloat(0x7bff) == 65504.0f);
    CHECK(f16ToFloat(0x3555) == 0.333251953125f);
    // Subnormals: 0x0001 = 2^-24, 0x03ff = 1023 * 2^-24, 0x0400 = 2^-14 (smallest normal).
    CHECK(f16ToFloat(0x0001) == std::ldexp(1.0f, -24));
    CHECK(f16ToFloat(0x03ff) == std::ldexp(1023.0f, -24));
    CHECK(f16ToFloat(0x8001) == -std::ldexp(1.0f, -24));
    CHECK(floatToF16(std::ldexp(1.0f, -24)) == 0x0001);
    CHECK(floatToF16(std::ldexp(1023.0f, -24)) == 0x03ff);
    CHECK(floatToF16(std::ldexp(1.0f, -14)) == 0x0400);
    CHECK(floatToF16(std::ldexp(1.0f, -25)) == 0x0000); // tie between 0 and 2^-24: even is 0
    CHECK(floatToF16(std::ldexp(1.5f, -25)) == 0x0001); // above the tie
    CHECK(floatToF16(std::ldexp(3.0f, -25)) == 0x0002); // 1.5 * 2^-24: tie, even is 2
    CHECK(floatToF16(std::ldexp(5.0f, -25)) == 0x0002); // 2.5 * 2^-24: tie, even is 2
    CHECK(floatToF16(std::ldexp(2047.0f, -25)) == 0x0400); // rounds up into the smallest normal
    CHECK(floatToF16(std::ldexp(1.0f, -30)) == 0x0000);
    CHECK(floatToF16(-std::ldexp(1.0f, -30)) == 0x8000);
    // Normal ties: 1 + 2^-11 is half-way between 0x3c00 and 0x3c01.
    CHECK(floatToF16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
    CHECK(floatToF16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
    CHECK(std::isnan(f16ToFloat(0x7e00)));
    CHECK(std::isinf(f16ToFloat(0x7c00)));
    CHECK(std::isnan(f16ToFloat(floatToF16(std::numeric_limits<float>::quiet_NaN()))));
    CHECK(std::isnan(f16ToFloat(floatToF16(floatOf(0x7f800001u))))); // signalling NaN, low payload
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = f16ToFloat(static_cast<uint16_t>(h));
        if (std::isnan(f))
            continue;
        if (floatToF16(f) != h) {
            FAIL_CHECK("f16 round trip changed 0x" << std::hex << h);
            break;
        }
    }
}

TEST_CASE("f8 E4M3FN: bias 7, max 448, no infinities, 0x7f/0xff are NaN")
{
    CHECK(f8e4m3ToFloat(0x38) == 1.0f);
    CHECK(f8e4m3ToFloat(0xb8) == -1.0f);
    CHECK(f8e4m3ToFloat(0x7e) == 448.0f);
    CHECK(f8e4m3ToFloat(0xfe) == -448.0f);
    CHECK(f8e4m3ToFloat(0x78) == 256.0f);
    CHECK(f8e4m3ToFloat(0x08) == std::ldexp(1.0f, -6)); // smallest normal
    CHECK(f8e4m3ToFloat(0x01) == std::ldexp(1.0f, -9)); // smallest subnormal
    CHECK(f8e4m3ToFloat(0x07) == std::ldexp(7.0f, -9)); // largest subnormal
    CHECK(f8e4m3ToFloat(0x00) == 0.0f);
    CHECK(std::signbit(f8e4m3ToFloat(0x80)));
    CHECK(std::isnan(f8e4m3ToFloat(0x7f)));
    CHECK(std::isnan(f8e4m3ToFloat(0xff)));
    int nans = 0;
    for (int b = 0; b < 256; ++b) {
        const float f = f8e4m3ToFloat(static_cast<uint8_t>(b));
        CHECK_FALSE(std::isinf(f));
        nans += std::isnan(f) ? 1 : 0;
    }
    CHECK(nans == 2);
}

TEST_CASE("f8 E5M2: IEEE-like, bias 15, infinities and NaNs")
{
    CHECK(f8e5m2ToFloat(0x3c) == 1.0f);
    CHECK(f8e5m2ToFloat(0xc0) == -2.0f);
    CHECK(f8e5m2ToFloat(0x7b) == 57344.0f); // largest finite
    CHECK(f8e5m2ToFloat(0x04) == std::ldexp(1.0f, -14));
    CHECK(f8e5m2ToFloat(0x01) == std::ldexp(1.0f, -16));
    CHECK(std::isinf(f8e5m2ToFloat(0x7c)));
    CHECK(f8e5m2ToFloat(0xfc) < 0);
    CHECK(std::isnan(f8e5m2ToFloat(0x7d)));
    CHECK(std::isnan(f8e5m2ToFloat(0xff)));
}

TEST_CASE("convertToFloat reads every convertible dtype from unaligned memory")
{
    std::vector<std::byte> buffer(1 + 3 * 8);
    std::byte* src = buffer.data() + 1; // deliberately misaligned
    float out[3];
    auto put = [&](auto... values) {
        size_t offset = 0;
        ((std::memcpy(src + offset, &values, sizeof(values)), offset += sizeof(values)), ...);
    };

    put(int16_t{-3}, int16_t{7}, int16_t{-32768});
    convertToFloat(DType::I16, src, 3, out);
    CHECK(out[0] == -3.0f);
    CHECK(out[2] == -32768.0f);
    put(uint16_t{0x3f80}, uint16_t{0xc000}, uint16_t{0x4049});
    convertToFloat(DType::BF16, src, 3, out);
    CHECK(out[0] == 1.0f);
    CHECK(out[1] == -2.0f);
    CHECK(out[2] == 3.140625f);
    put(uint16_t{0x3c00}, uint16_t{0x0001}, uint16_t{0x7bff});
    convertToFloat(DType::F16, src, 3, out);
    CHECK(out[1] == std::ldexp(1.0f, -24));
    CHECK(out[2] == 65504.0f);
    put(1.5f, -0.25f, 3e38f);
    convertToFloat(DType::F32, src, 3, out);
    CHECK(out[0] == 1.5f);
    CHECK(out[2] == 3e38f);
    put(2.5, -1e-3, 1e300);
    convertToFloat(DType::F64, src, 3, out);
    CHECK(out[0] == 2.5f);
    CHECK(out[1] == static_cast<float>(-1e-3));
    CHECK(std::isinf(out[2]));
    put(int32_t{-5}, int32_t{1 << 24}, int32_t{0});
    convertToFloat(DType::I32, src, 3, out);
    CHECK(out[0] == -5.0f);
    CHECK(out[1] == 16777216.0f);
    put(uint32_t{4000000000u}, uint32_t{1}, uint32_t{0});
    convertToFloat(DType::U32, src, 3, out);
    CHECK(out[0] == 4e9f);
    put(int64_t{-1}, int64_t{1} << 40, int64_t{3});
    convertToFloat(DType::I64, src, 3, out);
    CHECK(out[0] == -1.0f);
    CHECK(out[1] == std::ldexp(1.0f, 40));
    put(uint64_t{7}, uint64_t{0}, ~uint64_t{0});
    convertToFloat(DType::U64, src, 3, out);
    CHECK(out[0] == 7.0f);
    CHECK(out[2] == std::ldexp(1.0f, 64));
    put(uint8_t{0x38}, uint8_t{0x7e}, uint8_t{0x01});
    convertToFloat(DType::F8_E4M3, src, 3, out);
    CHECK(out[0] == 1.0f);
    CHECK(out[1] == 448.0f);
    convertToFloat(DType::F8_E5M2, src, 1, out);
    CHECK(out[0] == 0.5f); // E5M2 0x38 = 0 01110 00: 2^(14-15)
    put(uint8_t{0}, uint8_t{1}, uint8_t{200});
    convertToFloat(DType::Bool, src, 3, out);
    CHECK(out[0] == 0.0f);
    CHECK(out[2] == 1.0f);
    convertToFloat(DType::U8, src, 3, out);
    CHECK(out[2] == 200.0f);
    convertToFloat(DType::I8, src, 3, out);
    CHECK(out[2] == -56.0f);
    put(uint16_t{65535}, uint16_t{1}, uint16_t{0});
    convertToFloat(DType::U16, src, 3, out);
    CHECK(out[0] == 65535.0f);
}

TEST_CASE("convertToFloat refuses types it does not compute with, naming them")
{
    std::byte src[8]{};
    float out[2];
    for (const DType dtype : {DType::F4, DType::F6_E2M3, DType::F6_E3M2, DType::F8_E8M0, DType::C64}) {
        try {
            convertToFloat(dtype, src, 1, out);
            FAIL("no error for " << dtypeName(dtype));
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(std::string(dtypeName(dtype))) != std::string::npos);
        }
    }
}
