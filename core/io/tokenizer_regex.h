// Regular expressions for the tokenizer, on PCRE2 (UTF + UCP, JIT when available).
// tokenizer.json patterns are written for Oniguruma (the `tokenizers` library's engine, Ruby
// syntax): they are translated so that PCRE2 matches the same text - `\s` gets Oniguruma's set,
// `\p{L}`-style classes gain the code points of Oniguruma's newer Unicode data, `^`/`$` are line
// anchors - and matches are enumerated the way the onig crate's find_iter does.
#pragma once
#include "core/io/error.h"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace moewb::tokenizer_detail {

// Non-owning callable reference: the pipeline runs depth-first through nested callbacks, one per
// piece, and std::function would allocate for each of them.
template <class Signature> class FunctionRef;
template <class R, class... Args> class FunctionRef<R(Args...)> {
public:
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
    FunctionRef(F&& f) // NOLINT(google-explicit-constructor)
        : m_object(const_cast<void*>(static_cast<const void*>(&f))),
          m_call([](void* o, Args... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(a...); })
    {
    }
    R operator()(Args... a) const { return m_call(m_object, a...); }

private:
    void* m_object;
    R (*m_call)(void*, Args...);
};


using Match = std::pair<std::size_t, std::size_t>; // byte offsets [first, second)

// PCRE2 gave up on a match (a hostile pattern that backtracks past the match limit). Compiled
// patterns are shared between files, so the message names no file: Tokenizer::encode and decode
// rethrow it as a moewb::Error naming theirs.
class RegexFailure : public Error {
public:
    using Error::Error;
};

class Regex {
public:
    // Compiled patterns are cached process-wide by source text; `source` names the file in errors.
    static std::shared_ptr<const Regex> onig(std::string_view pattern, std::string_view source);
    static std::shared_ptr<const Regex> literal(std::string_view text, std::string_view source);
    // A pattern already in PCRE2 syntax (the library's own Rust-regex patterns, rewritten by hand).
    static std::shared_ptr<const Regex> pcre(std::string_view pattern, std::string_view source);

    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;
    ~Regex();

    // Calls `f` for each non-overlapping match in `subject` (valid UTF-8), in order.
    void forEach(std::string_view subject, FunctionRef<void(Match)> f) const;
    void findAll(std::string_view subject, std::vector<Match>& out) const;
    // True when the pattern matches starting exactly at `offset`.
    bool matchesAt(std::string_view subject, std::size_t offset) const;

    const std::string& pattern() const { return m_pattern; }

private:
    struct Program {
        void* code = nullptr; // pcre2_code_8*, kept opaque so users need no PCRE2 headers
        bool jit = false;     // JIT-compiled: matched through pcre2_jit_match, skipping pcre2_match's checks
    };
    Regex(std::string pattern, Program exact, Program fast);
    static Program compile(const std::string& pcrePattern, unsigned options, std::string_view shownPattern,
                           std::string_view source);
    static std::shared_ptr<const Regex> cached(const std::string& key, const std::string& pcrePattern,
                                               const std::string& fastPattern, unsigned options,
                                               std::string_view shownPattern, std::string_view source);
    std::string m_pattern;
    Program m_exact;
    // The pattern with PCRE2's own \s and \p{..} classes, which are faster; they differ from
    // Oniguruma's only on a few hundred rare code points, so it runs on subjects free of them.
    Program m_fast;
    std::size_t m_minLength = 0; // shortest possible match, in code units
};

// While alive, marks `text` as free of the code points where Oniguruma's and PCRE2's classes
// differ (when it is), so regexes run on pieces of it skip that scan. Scoped, nests.
class CleanRegion {
public:
    explicit CleanRegion(std::string_view text);
    ~CleanRegion();
    CleanRegion(const CleanRegion&) = delete;
    CleanRegion& operator=(const CleanRegion&) = delete;

private:
    const char* m_begin;
    const char* m_end;
};

// PCRE2 character-class bodies (no brackets) for Rust regex's Unicode \w and \s, which the library
// uses for its Whitespace pre-tokenizer and single_word added tokens.
const std::string& rustWordClass();
const std::string& rustSpaceClass();

// Oniguruma (Ruby syntax) -> PCRE2 rewrite; exposed for tests. With `widen` false, \s and the
// Unicode property classes keep PCRE2's meaning (see Regex::m_fast).
std::string translateOnigPattern(std::string_view pattern, bool widen = true);
// True when `s` holds a code point on which Oniguruma's and PCRE2's classes disagree.
bool hasOnigOnlyChars(std::string_view s);

// Splits `subject` into matched and unmatched spans covering it in order, like the library's
// Pattern::find_matches (an empty subject gives one unmatched empty span); `invert` flips the flags.
// Streams them to `f(span, matched)` so huge inputs need no list of every match.
void forEachSpan(const Regex& regex, std::string_view subject, bool invert, FunctionRef<void(Match, bool)> f);

} // namespace moewb::tokenizer_detail
