// UTF-8 helpers, the byte-level alphabet and Unicode normalization (UAX #15) for the tokenizer.
// The normalization data is generated from Python's unicodedata into tokenizer_unicode_tables.cpp,
// so no ICU dependency is needed for the one normalizer (NFC) the supported families use.
#include "core/io/tokenizer_unicode.h"

#include <algorithm>
#include <array>
#include <clocale>
#include <cstdlib>
#include <cwctype>
#include <locale.h>
#include <unordered_map>
#include <vector>

namespace moewb::tokenizer_detail {

char32_t nextCodePoint(std::string_view s, std::size_t& i)
{
    const auto b0 = static_cast<unsigned char>(s[i]);
    const std::size_t len = std::min(utf8Length(b0), s.size() - i);
    char32_t cp = 0;
    switch (len) {
    case 1: cp = b0; break;
    case 2: cp = (b0 & 0x1Fu) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu); break;
    case 3:
        cp = (b0 & 0x0Fu) << 12 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6 |
             (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
        break;
    default:
        cp = (b0 & 0x07u) << 18 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12 |
             (static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6 | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
        break;
    }
    i += len;
    return cp;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

namespace {

// Length of the well-formed sequence at s[i] (Unicode Table 3-7), or 0 with `bad` set to the
// length of its maximal ill-formed prefix (at least 1).
std::size_t wellFormedLength(std::string_view s, std::size_t i, std::size_t& bad)
{
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char b0 = b(0);
    bad = 1;
    if (b0 < 0x80) return 1;
    std::size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
    else if (b0 == 0xE0) need = 2, lo = 0xA0;
    else if (b0 >= 0xE1 && b0 <= 0xEC) need = 2;
    else if (b0 == 0xED) need = 2, hi = 0x9F;
    else if (b0 >= 0xEE && b0 <= 0xEF) need = 2;
    else if (b0 == 0xF0) need = 3, lo = 0x90;
    else if (b0 >= 0xF1 && b0 <= 0xF3) need = 3;
    else if (b0 == 0xF4) need = 3, hi = 0x8F;
    else return 0;
    for (std::size_t k = 1; k <= need; ++k) {
        if (i + k >= s.size()) return 0;
        const unsigned char c = b(k);
        const bool ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
        if (!ok) return 0;
        bad = k + 1;
    }
    return need + 1;
}

} // namespace

bool isValidUtf8(std::string_view s)
{
    std::size_t i = 0, bad = 0;
    while (i < s.size()) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = wellFormedLength(s, i, bad);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::string toValidUtf8(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0, bad = 0;
    while (i < s.size()) {
        const std::size_t len = wellFormedLength(s, i, bad);
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            i += std::min(bad, s.size() - i);
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

bool isWhitespace(char32_t cp)
{
    return (cp >= 0x9 && cp <= 0xD) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

namespace {

struct ByteAlphabet {
    std::array<char32_t, 256> toChar{};
    std::array<std::string, 256> toCharUtf8{};
    std::array<ByteChar, 256> packed{};
    std::array<int, 0x200> toByte{}; // the alphabet lies below U+0144
    ByteAlphabet()
    {
        // GPT-2: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards in order.
        const auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; };
        toByte.fill(-1);
        char32_t next = 0x100;
        for (int b = 0; b < 256; ++b) {
            toChar[b] = printable(b) ? static_cast<char32_t>(b) : next++;
            appendUtf8(toCharUtf8[b], toChar[b]);
            packed[b].size = static_cast<std::uint8_t>(toCharUtf8[b].size());
            for (std::size_t k = 0; k < toCharUtf8[b].size(); ++k) packed[b].bytes[k] = toCharUtf8[b][k];
            toByte[toChar[b]] = b;
        }
    }
};

const ByteAlphabet& byteAlphabet()
{
    static const ByteAlphabet alphabet;
    return alphabet;
}

} // namespace

char32_t byteToChar(unsigned char b) { return byteAlphabet().toChar[b]; }
std::string_view byteToCharUtf8(unsigned char b) { return byteAlphabet().toCharUtf8[b]; }
const ByteChar* byteCharTable() { return byteAlphabet().packed.data(); }

int charToByte(char32_t cp)
{
    const auto& table = byteAlphabet().toByte;
    return cp < table.size() ? table[cp] : -1;
}

// ---- normalization ---------------------------------------------------------------------------

namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

struct Decomposition {
    std::uint32_t offset;
    std::uint8_t length;
    bool compat;
};

struct CombiningRange {
    char32_t first, last;
    std::uint8_t cls;
};

struct NormalizationData {
    std::unordered_map<char32_t, Decomposition> decompositions;
    std::vector<char32_t> decompositionChars;
    std::vector<CombiningRange> combining;
    std::unordered_map<std::uint64_t, char32_t> compositions;

    NormalizationData()
    {
        const std::string_view decomp = kDecompositionTable;
        std::size_t pos = 0;
        while (pos < decomp.size()) {
            const std::size_t end = decomp.find(';', pos);
            std::string_view entry = decomp.substr(pos, end - pos);
            pos = end + 1;
            const bool compat = entry.front() == '!';
            if (compat) entry.remove_prefix(1);
            const std::size_t colon = entry.find(':');
            const auto cp = hex(entry.substr(0, colon));
            Decomposition d{static_cast<std::uint32_t>(decompositionChars.size()), 0, compat};
            for (std::string_view rest = entry.substr(colon + 1); !rest.empty();) {
                const std::size_t space = rest.find(' ');
                decompositionChars.push_back(hex(rest.substr(0, space)));
                ++d.length;
                rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
            }
            decompositions.emplace(cp, d);
        }
        const std::string_view ccc = kCombiningClassTable;
        for (pos = 0; pos < ccc.size();) {
            const std::size_t end = ccc.find(';', pos);
            const std::string_view entry = ccc.substr(pos, end - pos);
            pos = end + 1;
            const std::size_t dash = entry.find('-'), colon = entry.find(':');
            combining.push_back({hex(entry.substr(0, dash)), hex(entry.substr(dash + 1, colon - dash - 1)),
                                 static_cast<std::uint8_t>(std::atoi(std::string(entry.substr(colon + 1)).c_str()))});
        }
        const std::string_view comp = kCompositionTable;
        for (pos = 0; pos < comp.size();) {
            const std::size_t end = comp.find(';', pos);
            const std::string_view entry = comp.substr(pos, end - pos);
            pos = end + 1;
            const std::size_t s1 = entry.find(' '), s2 = entry.rfind(' ');
            compositions.emplace(key(hex(entry.substr(0, s1)), hex(entry.substr(s1 + 1, s2 - s1 - 1))),
                                 hex(entry.substr(s2 + 1)));
        }
    }

    static std::uint64_t key(char32_t a, char32_t b) { return std::uint64_t{a} << 32 | b; }

    static char32_t hex(std::string_view s)
    {
        char32_t v = 0;
        for (const char c : s) v = v * 16 + static_cast<char32_t>(c <= '9' ? c - '0' : c - 'A' + 10);
        return v;
    }

    std::uint8_t combiningClass(char32_t cp) const
    {
        if (cp < 0x300) return 0;
        const auto it = std::upper_bound(combining.begin(), combining.end(), cp,
                                         [](char32_t c, const CombiningRange& r) { return c < r.first; });
        if (it == combining.begin()) return 0;
        const auto& r = *(it - 1);
        return cp <= r.last ? r.cls : 0;
    }

    void decompose(char32_t cp, bool compat, std::vector<char32_t>& out) const
    {
        if (cp >= kSBase && cp < kSBase + kSCount) {
            const char32_t s = cp - kSBase;
            out.push_back(kLBase + s / kNCount);
            out.push_back(kVBase + (s % kNCount) / kTCount);
            if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
            return;
        }
        const auto it = decompositions.find(cp);
        if (it == decompositions.end() || (it->second.compat && !compat)) {
            out.push_back(cp);
            return;
        }
        for (std::uint8_t k = 0; k < it->second.length; ++k)
            decompose(decompositionChars[it->second.offset + k], compat, out);
    }

    char32_t compose(char32_t a, char32_t b) const
    {
        if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
            return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
        if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
            return a + (b - kTBase);
        const auto it = compositions.find(key(a, b));
        return it == compositions.end() ? 0 : it->second;
    }

    void normalizeRegion(std::string_view s, NormalForm form, std::string& out) const
    {
        const bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
        std::vector<char32_t> chars;
        for (std::size_t i = 0; i < s.size();) decompose(nextCodePoint(s, i), compat, chars);
        // Canonical ordering: stable-sort each run of non-starters by combining class.
        for (std::size_t i = 0; i < chars.size();) {
            if (combiningClass(chars[i]) == 0) {
                ++i;
                continue;
            }
            std::size_t j = i;
            while (j < chars.size() && combiningClass(chars[j]) != 0) ++j;
            std::stable_sort(chars.begin() + static_cast<std::ptrdiff_t>(i), chars.begin() + static_cast<std::ptrdiff_t>(j),
                             [&](char32_t a, char32_t b) { return combiningClass(a) < combiningClass(b); });
            i = j;
        }
        if ((form == NormalForm::NFC || form == NormalForm::NFKC) && !chars.empty()) {
            std::size_t starterPos = 0, outPos = 1;
            char32_t starter = chars[0];
            int lastClass = combiningClass(starter) == 0 ? 0 : 256;
            for (std::size_t i = 1; i < chars.size(); ++i) {
                const char32_t c = chars[i];
                const int cls = combiningClass(c);
                const char32_t composite = compose(starter, c);
                if (composite != 0 && (lastClass < cls || lastClass == 0)) {
                    chars[starterPos] = composite;
                    starter = composite;
                    continue;
                }
                if (cls == 0) {
                    starterPos = outPos;
                    starter = c;
                }
                lastClass = cls;
                chars[outPos++] = c;
            }
            chars.resize(outPos);
        }
        for (const char32_t c : chars) appendUtf8(out, c);
    }
};

const NormalizationData& normalizationData()
{
    static const NormalizationData data;
    return data;
}

} // namespace

std::string normalizeUnicode(std::string_view s, NormalForm form)
{
    // Below these code points every character is a starter with no decomposition of the given kind
    // and is never the second half of a composition, so runs of them are copied unchanged and only
    // the regions around other characters (plus the preceding starter) go through UAX #15.
    const char32_t safeBelow = form == NormalForm::NFC ? 0x300 : form == NormalForm::NFD ? 0xC0 : 0xA0;
    std::string out;
    out.reserve(s.size());
    std::size_t copied = 0, i = 0, prevStart = 0;
    while (i < s.size()) {
        const std::size_t start = i;
        const char32_t cp = nextCodePoint(s, i);
        if (cp < safeBelow) {
            prevStart = start;
            continue;
        }
        const std::size_t regionStart = start > copied ? prevStart : start;
        out.append(s.substr(copied, regionStart - copied));
        std::size_t end = i;
        while (end < s.size()) {
            std::size_t next = end;
            if (nextCodePoint(s, next) < safeBelow) break;
            end = next;
        }
        normalizationData().normalizeRegion(s.substr(regionStart, end - regionStart), form, out);
        copied = i = prevStart = end;
    }
    out.append(s.substr(copied));
    return out;
}

std::string toLowercase(std::string_view s)
{
    // glibc's C.UTF-8 locale carries the Unicode simple case mappings; a private locale object keeps
    // the process-wide locale untouched.
    static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const char32_t cp = nextCodePoint(s, i);
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
        } else if (cp == 0x130) { // the one code point whose full lowercase is two characters
            out += "i\xCC\x87";
        } else {
            const auto lower = utf8 ? towlower_l(static_cast<wint_t>(cp), utf8) : static_cast<wint_t>(cp);
            appendUtf8(out, static_cast<char32_t>(lower));
        }
    }
    return out;
}

} // namespace moewb::tokenizer_detail
