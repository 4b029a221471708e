// Unicode helpers for the tokenizer: UTF-8 walking, the GPT-2 byte<->char map, normalization forms
// and the few character classes the `tokenizers` library tests with Rust's char methods.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace moewb::tokenizer_detail {

// Length of the UTF-8 sequence starting with lead byte b (1 for stray continuation bytes).
inline std::size_t utf8Length(unsigned char b)
{
    if (b < 0x80) return 1;
    if ((b >> 5) == 0x6) return 2;
    if ((b >> 4) == 0xE) return 3;
    if ((b >> 3) == 0x1E) return 4;
    return 1;
}

// Decodes the code point at s[i] (s must be valid UTF-8) and advances i past it.
char32_t nextCodePoint(std::string_view s, std::size_t& i);
void appendUtf8(std::string& out, char32_t cp);

// True when s is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool isValidUtf8(std::string_view s);
// Replaces each maximal ill-formed subsequence by U+FFFD, as Rust's String::from_utf8_lossy does.
std::string toValidUtf8(std::string_view s);

// Rust char::is_whitespace (the Unicode White_Space property).
bool isWhitespace(char32_t cp);

// GPT-2 byte-level alphabet: every byte maps to one printable code point and back.
char32_t byteToChar(unsigned char b);
int charToByte(char32_t cp); // -1 when cp is not in the alphabet
// UTF-8 of byteToChar(b), precomputed (the hot path of byte-level pre-tokenization).
std::string_view byteToCharUtf8(unsigned char b);
// The same for all 256 bytes at once (every alphabet character is below U+0800: 1 or 2 bytes),
// for loops that should not re-fetch the table per byte.
struct ByteChar {
    char bytes[2];
    std::uint8_t size;
};
const ByteChar* byteCharTable();

enum class NormalForm { NFC, NFD, NFKC, NFKD };
std::string normalizeUnicode(std::string_view s, NormalForm form);

// Simple lowercase mapping per code point (Rust char::to_lowercase).
std::string toLowercase(std::string_view s);

// Generated tables (tokenizer_unicode_tables.cpp).
extern const char* const kDecompositionTable;
extern const char* const kCombiningClassTable;
extern const char* const kCompositionTable;
extern const char* const kOnigExtraL;
extern const char* const kOnigExtraN;
extern const char* const kOnigExtraP;
extern const char* const kOnigExtraS;
extern const char* const kOnigExtraM;
extern const char* const kOnigExtraNd;
extern const char* const kRustWordRanges;

} // namespace moewb::tokenizer_detail
