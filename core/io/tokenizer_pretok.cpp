// Pre-tokenizers: ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation,
// CharDelimiterSplit, Sequence. Each splits one piece and hands the sub-pieces on depth-first, which
// gives the library's order without materializing every intermediate list of pieces.
#include "core/io/error.h"
#include "core/io/tokenizer_internal.h"
#include "core/io/tokenizer_unicode.h"

#include <nlohmann/json.hpp>

#include <deque>
#include <optional>

namespace moewb::tokenizer_detail {

namespace {

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

constexpr const char* kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

// Scratch strings per nesting depth, so byte-mapping millions of pieces does not allocate each
// time. A deque: growing it keeps references to the buffers of shallower levels valid.
std::string& scratchString(std::size_t depth)
{
    thread_local std::deque<std::string> pool(4);
    if (pool.size() <= depth) pool.resize(depth + 1);
    return pool[depth];
}
thread_local std::size_t t_depth = 0;

struct DepthGuard {
    std::size_t depth = t_depth++;
    ~DepthGuard() { --t_depth; }
};

// NormalizedString::split: the (span, matched) stream merged per behavior, streamed with at most
// one span held back, so a multi-megabyte piece needs no list of all its matches.
void splitWith(const Regex& regex, bool invert, Behavior behavior, std::string_view piece, bool atStart,
               PieceSink emit)
{
    const auto out = [&](Match span) {
        if (span.first != span.second)
            emit(piece.substr(span.first, span.second - span.first), atStart && span.first == 0);
    };
    std::optional<Match> pending;
    bool previous = false;
    switch (behavior) {
    case Behavior::Isolated:
        forEachSpan(regex, piece, invert, [&](Match span, bool) { out(span); });
        return;
    case Behavior::Removed:
        forEachSpan(regex, piece, invert, [&](Match span, bool matched) {
            if (!matched) out(span);
        });
        return;
    case Behavior::Contiguous:
        forEachSpan(regex, piece, invert, [&](Match span, bool matched) {
            if (pending && matched == previous) {
                pending->second = span.second;
            } else {
                if (pending) out(*pending);
                pending = span;
            }
            previous = matched;
        });
        break;
    case Behavior::MergedWithPrevious:
        forEachSpan(regex, piece, invert, [&](Match span, bool matched) {
            if (pending && matched && !previous) {
                pending->second = span.second;
            } else {
                if (pending) out(*pending);
                pending = span;
            }
            previous = matched;
        });
        break;
    case Behavior::MergedWithNext: // a match joins the unmatched span after it
        forEachSpan(regex, piece, invert, [&](Match span, bool matched) {
            if (matched) {
                if (pending) out(*pending);
                pending = span;
            } else if (pending) {
                out({pending->first, span.second});
                pending.reset();
            } else {
                out(span);
            }
        });
        break;
    }
    if (pending) out(*pending);
}

class SplitPreTokenizer final : public PreTokenizer {
public:
    SplitPreTokenizer(std::shared_ptr<const Regex> regex, Behavior behavior, bool invert)
        : m_regex(std::move(regex)), m_behavior(behavior), m_invert(invert)
    {
    }
    void split(std::string_view piece, bool atStart, PieceSink emit) const override
    {
        splitWith(*m_regex, m_invert, m_behavior, piece, atStart, emit);
    }

private:
    std::shared_ptr<const Regex> m_regex;
    Behavior m_behavior;
    bool m_invert;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex, const std::string& source)
        : m_addPrefixSpace(addPrefixSpace), m_regex(useRegex ? Regex::onig(kGpt2Pattern, source) : nullptr)
    {
    }
    void split(std::string_view piece, bool atStart, PieceSink emit) const override
    {
        std::string prefixed;
        if (m_addPrefixSpace && (piece.empty() || piece.front() != ' ')) { // the library's !starts_with(' ')
            prefixed.reserve(piece.size() + 1);
            prefixed += ' ';
            prefixed += piece;
            piece = prefixed;
        }
        const auto mapBytes = [&](std::string_view sub, bool subAtStart) {
            DepthGuard guard;
            std::string& out = scratchString(guard.depth);
            if (out.size() < sub.size() * 2) out.resize(sub.size() * 2);
            const ByteChar* table = byteCharTable();
            char* end = out.data();
            for (const char c : sub) {
                const ByteChar& mapped = table[static_cast<unsigned char>(c)];
                end[0] = mapped.bytes[0];
                end[1] = mapped.bytes[1];
                end += mapped.size;
            }
            emit(std::string_view(out.data(), static_cast<std::size_t>(end - out.data())), subAtStart);
        };
        if (m_regex) splitWith(*m_regex, false, Behavior::Isolated, piece, atStart, mapBytes);
        else mapBytes(piece, atStart);
    }
    double growth() const override { return 2; }

private:
    bool m_addPrefixSpace;
    std::shared_ptr<const Regex> m_regex;
};

class MetaspacePreTokenizer final : public PreTokenizer {
public:
    enum class Prepend { Always, First, Never };
    MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split, const std::string& source)
        : m_replacement(std::move(replacement)), m_prepend(prepend),
          m_split(split ? Regex::literal(m_replacement, source) : nullptr)
    {
    }
    void split(std::string_view piece, bool atStart, PieceSink emit) const override
    {
        std::string text;
        text.reserve(piece.size() + m_replacement.size() * 4);
        const bool prepend = m_prepend == Prepend::Always || (m_prepend == Prepend::First && atStart);
        for (const char c : piece) {
            if (c == ' ') text += m_replacement;
            else text += c;
        }
        if (prepend && text.compare(0, m_replacement.size(), m_replacement) != 0) text.insert(0, m_replacement);
        if (m_split) splitWith(*m_split, false, Behavior::MergedWithNext, text, atStart, emit);
        else emit(text, atStart);
    }
    double growth() const override { return static_cast<double>(m_replacement.size()); } // per space

private:
    std::string m_replacement;
    Prepend m_prepend;
    std::shared_ptr<const Regex> m_split;
};

class SequencePreTokenizer final : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : m_steps(std::move(steps)) {}
    void split(std::string_view piece, bool atStart, PieceSink emit) const override { run(0, piece, atStart, emit); }
    double growth() const override
    {
        double product = 1;
        for (const auto& step : m_steps) product *= step->growth();
        return product;
    }

private:
    void run(std::size_t step, std::string_view piece, bool atStart, PieceSink emit) const
    {
        if (step == m_steps.size()) {
            emit(piece, atStart);
            return;
        }
        m_steps[step]->split(piece, atStart,
                             [&](std::string_view sub, bool subAtStart) { run(step + 1, sub, subAtStart, emit); });
    }
    std::vector<std::unique_ptr<PreTokenizer>> m_steps;
};

Behavior parseBehavior(const Json& json, const JsonReader& reader, const char* what)
{
    const std::string name = reader.string(json, "behavior", what);
    if (name == "Removed") return Behavior::Removed;
    if (name == "Isolated") return Behavior::Isolated;
    if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
    if (name == "MergedWithNext") return Behavior::MergedWithNext;
    if (name == "Contiguous") return Behavior::Contiguous;
    fail("{}: {} has unknown behavior '{}'", reader.source, what, name);
}

std::unique_ptr<PreTokenizer> makeSplit(const std::string& pcrePattern, Behavior behavior, bool invert,
                                        const std::string& source)
{
    return std::make_unique<SplitPreTokenizer>(Regex::pcre(pcrePattern, source), behavior, invert);
}

} // namespace

std::unique_ptr<PreTokenizer> parsePreTokenizer(const Json& json, const JsonReader& reader)
{
    const std::string type = reader.type(json, "pre_tokenizer");
    const std::string& src = reader.source;
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPreTokenizer>(reader.boolOr(json, "add_prefix_space", "ByteLevel", true),
                                                       reader.boolOr(json, "use_regex", "ByteLevel", true), src);
    if (type == "Split")
        return std::make_unique<SplitPreTokenizer>(parsePattern(json, reader, "Split pre-tokenizer"),
                                                   parseBehavior(json, reader, "Split pre-tokenizer"),
                                                   reader.boolOr(json, "invert", "Split pre-tokenizer", false));
    if (type == "Metaspace") {
        const std::string replacement = reader.character(json, "replacement", "Metaspace pre-tokenizer");
        const std::string scheme = reader.stringOr(json, "prepend_scheme", "Metaspace pre-tokenizer", "always");
        auto prepend = scheme == "first"   ? MetaspacePreTokenizer::Prepend::First
                       : scheme == "never" ? MetaspacePreTokenizer::Prepend::Never
                                           : MetaspacePreTokenizer::Prepend::Always;
        if (scheme != "first" && scheme != "never" && scheme != "always")
            fail("{}: Metaspace pre-tokenizer has unknown prepend_scheme '{}'", src, scheme);
        if (!reader.boolOr(json, "add_prefix_space", "Metaspace pre-tokenizer", true))
            prepend = MetaspacePreTokenizer::Prepend::Never; // the legacy spelling of "never"
        return std::make_unique<MetaspacePreTokenizer>(replacement, prepend,
                                                       reader.boolOr(json, "split", "Metaspace", true), src);
    }
    if (type == "Digits") {
        // char::is_numeric is the N categories; contiguous runs merge like a greedy \p{N}+.
        const bool individual = reader.boolOr(json, "individual_digits", "Digits pre-tokenizer", false);
        return std::make_unique<SplitPreTokenizer>(Regex::onig(individual ? "\\p{N}" : "\\p{N}+", src),
                                                   Behavior::Isolated, false);
    }
    if (type == "Whitespace")
        return makeSplit(fmt::format("[{0}]+|[^{0}{1}]+", rustWordClass(), rustSpaceClass()), Behavior::Removed, true,
                         src);
    if (type == "WhitespaceSplit") return makeSplit(fmt::format("[{}]", rustSpaceClass()), Behavior::Removed, false, src);
    if (type == "Punctuation") {
        const auto behavior = json.contains("behavior") ? parseBehavior(json, reader, "Punctuation pre-tokenizer")
                                                        : Behavior::Isolated;
        return std::make_unique<SplitPreTokenizer>(Regex::onig("[\\p{P}!-/:-@\\[-`{-~]", src), behavior, false);
    }
    if (type == "CharDelimiterSplit")
        return std::make_unique<SplitPreTokenizer>(
            Regex::literal(reader.string(json, "delimiter", "CharDelimiterSplit"), src), Behavior::Removed, false);
    if (type == "Sequence") {
        const NestingGuard guard(reader, "Sequence pre-tokenizer");
        const Json& list = reader.steps(json, "pretokenizers", "Sequence pre-tokenizer");
        std::vector<std::unique_ptr<PreTokenizer>> steps;
        for (const Json& step : list) steps.push_back(parsePreTokenizer(step, reader));
        return std::make_unique<SequencePreTokenizer>(std::move(steps));
    }
    fail("{}: unsupported pre-tokenizer '{}' (supported: ByteLevel, Split, Metaspace, Digits, Whitespace, "
         "WhitespaceSplit, Punctuation, CharDelimiterSplit, Sequence)",
         src, type);
}

} // namespace moewb::tokenizer_detail
