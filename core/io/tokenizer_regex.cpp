#include "core/io/tokenizer_regex.h"

#include "core/io/error.h"
#include "core/io/tokenizer_unicode.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace moewb::tokenizer_detail {

namespace {

// Oniguruma's \s for UTF-8 (measured against the tokenizers library: White_Space without U+180E).
constexpr std::string_view kOnigSpace =
    "\\t\\n\\x0B\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

std::string extraRanges(const char* table)
{
    // "1C89-1C8A,..." -> "\x{1C89}-\x{1C8A}..."
    std::string out;
    const std::string_view t = table;
    for (std::size_t pos = 0; pos < t.size();) {
        std::size_t end = t.find(',', pos);
        if (end == std::string_view::npos) end = t.size();
        const std::string_view item = t.substr(pos, end - pos);
        pos = end + 1;
        if (item.empty()) continue;
        const std::size_t dash = item.find('-');
        out += "\\x{" + std::string(item.substr(0, dash)) + "}-\\x{" + std::string(item.substr(dash + 1)) + "}";
    }
    return out;
}

// Class body for a property, widened to Oniguruma's Unicode version.
const std::string* propertyClass(std::string_view name)
{
    static const std::unordered_map<std::string, std::string> classes = {
        {"L", "\\p{L}" + extraRanges(kOnigExtraL)},   {"N", "\\p{N}" + extraRanges(kOnigExtraN)},
        {"P", "\\p{P}" + extraRanges(kOnigExtraP)},   {"S", "\\p{S}" + extraRanges(kOnigExtraS)},
        {"M", "\\p{M}" + extraRanges(kOnigExtraM)},   {"Nd", "\\p{Nd}" + extraRanges(kOnigExtraNd)},
    };
    const auto it = classes.find(std::string(name));
    return it == classes.end() ? nullptr : &it->second;
}

std::string pcreError(int code)
{
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(code, buffer, sizeof buffer);
    return reinterpret_cast<const char*>(buffer);
}

// Per-thread match state: match data and a JIT stack large enough for long whitespace runs.
// The limits stop catastrophic backtracking (`(a*)*b`) in one match with an error: the match limit
// is PCRE2's default, as Oniguruma's retry limit is the library's; the interpreter (anchored
// matches, patterns the JIT refuses) gets a heap limit instead of PCRE2's 20 GB. A pattern whose
// every match costs polynomial time (`a*a*b|.`) stays slow on long text, as in the library.
struct MatchState {
    static constexpr std::uint32_t kMatchLimit = 10'000'000;
    static constexpr std::uint32_t kHeapLimitKiB = 64 * 1024;
    pcre2_match_data* data = pcre2_match_data_create(32, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 16 * 1024 * 1024, nullptr);
    MatchState()
    {
        pcre2_jit_stack_assign(context, nullptr, stack);
        pcre2_set_match_limit(context, kMatchLimit);
        pcre2_set_heap_limit(context, kHeapLimitKiB);
    }
    ~MatchState()
    {
        pcre2_jit_stack_free(stack);
        pcre2_match_context_free(context);
        pcre2_match_data_free(data);
    }
};

MatchState& matchState()
{
    thread_local MatchState state;
    return state;
}

// Returns false on no match; throws on engine errors.
bool matchFrom(MatchState& state, pcre2_code* code, bool jit, std::string_view subject, std::size_t offset,
               std::uint32_t options, const std::string& pattern, Match& result)
{
    const auto* text = reinterpret_cast<PCRE2_SPTR>(subject.data());
    // The JIT cannot anchor at match time; anchored matches take the interpreter.
    const int rc = jit && options == 0
                       ? pcre2_jit_match(code, text, subject.size(), offset, 0, state.data, state.context)
                       : pcre2_match(code, text, subject.size(), offset, options | PCRE2_NO_UTF_CHECK, state.data,
                                     state.context);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0)
        throw RegexFailure(fmt::format("regex '{}' failed on a {}-byte piece of text: {}", pattern, subject.size(),
                                       pcreError(rc)));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
    result = {ovector[0], ovector[1]};
    return true;
}

// Memory known to hold no code point on which the two engines disagree (see CleanRegion).
thread_local const char* t_cleanBegin = nullptr;
thread_local const char* t_cleanEnd = nullptr;

} // namespace

namespace {

std::vector<std::pair<char32_t, char32_t>> onigOnlyRanges()
{
    std::vector<std::pair<char32_t, char32_t>> ranges{{0x180E, 0x180E}}; // in PCRE2's \s, not Oniguruma's
    for (const char* table : {kOnigExtraL, kOnigExtraN, kOnigExtraP, kOnigExtraS, kOnigExtraM, kOnigExtraNd}) {
        const std::string_view t = table;
        for (std::size_t pos = 0; pos < t.size();) {
            std::size_t end = t.find(',', pos);
            if (end == std::string_view::npos) end = t.size();
            const std::string_view item = t.substr(pos, end - pos);
            pos = end + 1;
            if (item.empty()) continue;
            const std::size_t dash = item.find('-');
            const auto hex = [](std::string_view h) { return static_cast<char32_t>(std::stoul(std::string(h), nullptr, 16)); };
            ranges.emplace_back(hex(item.substr(0, dash)), hex(item.substr(dash + 1)));
        }
    }
    std::sort(ranges.begin(), ranges.end());
    return ranges;
}

} // namespace

bool hasOnigOnlyChars(std::string_view s)
{
    static const auto ranges = onigOnlyRanges();
    const char32_t lowest = ranges.front().first;
    std::size_t i = 0;
    while (i < s.size()) {
        if (i + 8 <= s.size()) { // skip ASCII eight bytes at a time
            std::uint64_t word;
            std::memcpy(&word, s.data() + i, 8);
            if ((word & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const char32_t cp = nextCodePoint(s, i);
        if (cp < lowest) continue;
        const auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                                         [](char32_t c, const auto& r) { return c < r.first; });
        if (it != ranges.begin() && cp <= (it - 1)->second) return true;
    }
    return false;
}

const std::string& rustWordClass()
{
    static const std::string body = extraRanges(kRustWordRanges);
    return body;
}

const std::string& rustSpaceClass()
{
    static const std::string body = "\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
    return body;
}

std::string translateOnigPattern(std::string_view p, bool widen)
{
    std::string out;
    out.reserve(p.size() * 2);
    bool inClass = false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '[') {
            if (inClass && i + 1 < p.size() && p[i + 1] == ':') { // POSIX bracket [:alpha:]
                const std::size_t end = p.find(":]", i + 2);
                if (end != std::string_view::npos) {
                    out.append(p.substr(i, end + 2 - i));
                    i = end + 1;
                    continue;
                }
            }
            if (!inClass) {
                inClass = true;
                out += '[';
                if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
                if (i + 1 < p.size() && p[i + 1] == ']') out += "\\]", ++i; // leading ']' is literal
                continue;
            }
            out += "\\[";
            continue;
        }
        if (c == ']' && inClass) {
            inClass = false;
            out += ']';
            continue;
        }
        if (c != '\\' || i + 1 >= p.size()) {
            out += c;
            continue;
        }
        const char e = p[++i];
        const auto wrap = [&](const std::string& body, bool negated) {
            if (inClass) out += body;
            else out += (negated ? "[^" : "[") + body + "]";
        };
        const bool propertyEscape = e == 's' || e == 'S' || e == 'd' || e == 'D' || e == 'p' || e == 'P';
        if (!widen && propertyEscape) {
            out += '\\';
            out += e;
        } else if (e == 's') {
            wrap(std::string(kOnigSpace), false);
        } else if (e == 'S' && !inClass) {
            wrap(std::string(kOnigSpace), true);
        } else if (e == 'd' || (e == 'D' && !inClass)) {
            wrap(*propertyClass("Nd"), e == 'D');
        } else if (e == 'h' || (e == 'H' && !inClass)) { // Ruby syntax: hexadecimal digit
            wrap("0-9a-fA-F", e == 'H');
        } else if ((e == 'p' || (e == 'P' && !inClass)) && i + 1 < p.size() && p[i + 1] == '{') {
            const std::size_t close = p.find('}', i + 2);
            const std::string_view name =
                close == std::string_view::npos ? std::string_view{} : p.substr(i + 2, close - i - 2);
            if (const std::string* body = propertyClass(name)) {
                wrap(*body, e == 'P');
                i = close;
            } else {
                out += '\\';
                out += e;
            }
        } else if (e == 'u' && i + 4 < p.size()) { // \uHHHH
            out += "\\x{" + std::string(p.substr(i + 1, 4)) + "}";
            i += 4;
        } else {
            out += '\\';
            out += e;
        }
    }
    return out;
}

Regex::Regex(std::string pattern, Program exact, Program fast)
    : m_pattern(std::move(pattern)), m_exact(exact), m_fast(fast)
{
    std::uint32_t minLength = 0;
    pcre2_pattern_info(static_cast<pcre2_code*>(m_exact.code), PCRE2_INFO_MINLENGTH, &minLength);
    m_minLength = minLength;
}

Regex::~Regex()
{
    pcre2_code_free(static_cast<pcre2_code*>(m_exact.code));
    pcre2_code_free(static_cast<pcre2_code*>(m_fast.code));
}

Regex::Program Regex::compile(const std::string& pcrePattern, unsigned options, std::string_view shownPattern,
                              std::string_view source)
{
    pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
    pcre2_set_newline(context, PCRE2_NEWLINE_LF);
    int error = 0;
    PCRE2_SIZE errorOffset = 0;
    // PCRE2 refuses these with LITERAL. \C matches one byte even in UTF mode: its pieces would be
    // invalid UTF-8, which the later stages (and PCRE2 itself, told not to check) cannot take.
    const unsigned patternOptions = (options & PCRE2_LITERAL) ? 0u : PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pcrePattern.data()), pcrePattern.size(),
                                     options | PCRE2_UTF | patternOptions, &error, &errorOffset, context);
    pcre2_compile_context_free(context);
    if (!code) fail("{}: invalid regex '{}': {} (at offset {})", source, shownPattern, pcreError(error), errorOffset);
    const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0; // else the interpreter runs it
    return {code, jit};
}

std::shared_ptr<const Regex> Regex::cached(const std::string& key, const std::string& pcrePattern,
                                           const std::string& fastPattern, unsigned options,
                                           std::string_view shownPattern, std::string_view source)
{
    static std::mutex mutex;
    static std::unordered_map<std::string, std::shared_ptr<const Regex>> cache;
    std::lock_guard lock(mutex);
    if (const auto it = cache.find(key); it != cache.end()) return it->second;
    const Program exact = compile(pcrePattern, options, shownPattern, source);
    Program fast;
    if (!fastPattern.empty() && fastPattern != pcrePattern) {
        try {
            fast = compile(fastPattern, options, shownPattern, source);
        } catch (const Error&) {
            fast = {}; // the exact program alone is still right
        }
    }
    std::shared_ptr<const Regex> regex(new Regex(std::string(shownPattern), exact, fast));
    cache.emplace(key, regex);
    return regex;
}

std::shared_ptr<const Regex> Regex::onig(std::string_view pattern, std::string_view source)
{
    return cached("o:" + std::string(pattern), translateOnigPattern(pattern), translateOnigPattern(pattern, false),
                  PCRE2_MULTILINE, pattern, source);
}

std::shared_ptr<const Regex> Regex::literal(std::string_view text, std::string_view source)
{
    return cached("l:" + std::string(text), std::string(text), {}, PCRE2_LITERAL, text, source);
}

std::shared_ptr<const Regex> Regex::pcre(std::string_view pattern, std::string_view source)
{
    return cached("p:" + std::string(pattern), std::string(pattern), {}, 0, pattern, source);
}

CleanRegion::CleanRegion(std::string_view text) : m_begin(t_cleanBegin), m_end(t_cleanEnd)
{
    if (!hasOnigOnlyChars(text)) {
        t_cleanBegin = text.data();
        t_cleanEnd = text.data() + text.size();
    }
}

CleanRegion::~CleanRegion()
{
    t_cleanBegin = m_begin;
    t_cleanEnd = m_end;
}

void Regex::forEach(std::string_view subject, FunctionRef<void(Match)> f) const
{
    const bool clean = subject.data() >= t_cleanBegin && subject.data() + subject.size() <= t_cleanEnd;
    const Program& program = m_fast.code && (clean || !hasOnigOnlyChars(subject)) ? m_fast : m_exact;
    auto* code = static_cast<pcre2_code*>(program.code);
    auto& state = matchState();
    // A pattern that cannot match empty text need not be tried at the very end.
    if (m_minLength > 0 && subject.empty()) return;
    const std::size_t last = m_minLength > 0 ? subject.size() - 1 : subject.size();
    std::size_t lastEnd = 0;
    bool haveLast = false;
    std::size_t lastMatchEnd = 0;
    Match m;
    while (lastEnd <= last && matchFrom(state, code, program.jit, subject, lastEnd, 0, m_pattern, m)) {
        // As the onig crate: an empty match right after the previous match is skipped by one char.
        if (m.first == m.second && haveLast && lastMatchEnd == m.second) {
            lastEnd += lastEnd < subject.size() ? utf8Length(static_cast<unsigned char>(subject[lastEnd])) : 1;
            continue;
        }
        lastEnd = lastMatchEnd = m.second;
        haveLast = true;
        f(m); // may run other regexes on this thread: m is a copy, the match data is free again
    }
}

void Regex::findAll(std::string_view subject, std::vector<Match>& out) const
{
    forEach(subject, [&](Match m) { out.push_back(m); });
}

bool Regex::matchesAt(std::string_view subject, std::size_t offset) const
{
    Match m;
    return matchFrom(matchState(), static_cast<pcre2_code*>(m_exact.code), m_exact.jit, subject, offset, PCRE2_ANCHORED,
                     m_pattern, m);
}

void forEachSpan(const Regex& regex, std::string_view subject, bool invert, FunctionRef<void(Match, bool)> f)
{
    if (subject.empty()) {
        f({0, 0}, invert);
        return;
    }
    std::size_t prev = 0;
    regex.forEach(subject, [&](Match m) {
        const std::size_t start = prev;
        prev = m.second;
        if (start != m.first) f({start, m.first}, invert);
        f(m, !invert);
    });
    if (prev != subject.size()) f({prev, subject.size()}, invert);
}

} // namespace moewb::tokenizer_detail
