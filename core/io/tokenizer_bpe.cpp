// BPE model, following the `tokenizers` library's BPE::merge_word and Word::merge_all: symbols
// start as characters (with byte fallback and unknown-token fusing), then the lowest-ranked
// adjacent pair merges first (ties: leftmost), tracked with a min-heap over a linked list.
#include "core/io/error.h"
#include "core/io/tokenizer_internal.h"
#include "core/io/tokenizer_unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <queue>

namespace moewb::tokenizer_detail {

namespace {

constexpr std::size_t kCacheCapacity = 1 << 17;
constexpr std::size_t kCacheMaxWordBytes = 256; // longer words are rare and not worth keeping
constexpr char32_t kSmallChars = 0x800;

std::uint64_t pairKey(std::int32_t a, std::int32_t b)
{
    return std::uint64_t{static_cast<std::uint32_t>(a)} << 32 | static_cast<std::uint32_t>(b);
}

struct Symbol {
    std::int32_t id;
    std::int32_t prev, next;
    std::uint32_t len;
};

struct Candidate {
    std::uint32_t rank;
    std::int32_t pos;
    std::int32_t id;
    // std::priority_queue is a max-heap: "greater" means lower priority (higher rank, then later pos).
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

} // namespace

BpeModel::BpeModel(const Json& json, const JsonReader& reader) : m_source(reader.source)
{
    const Json& vocab = reader.get(json, "vocab", "BPE model");
    if (!vocab.is_object()) fail("{}: BPE model 'vocab' must be an object of token -> id", m_source);
    m_vocab.reserve(vocab.size());
    std::int32_t maxId = -1;
    for (const auto& [token, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() > INT32_MAX)
            fail("{}: BPE vocab entry '{}' has an invalid id", m_source, token);
        const auto value = id.get<std::int32_t>();
        m_vocab[token] = value;
        maxId = std::max(maxId, value);
    }
    // Ids index a table: refuse ones far past the vocabulary rather than allocate gigabytes.
    if (static_cast<std::size_t>(maxId) > 4 * m_vocab.size() + (1u << 20))
        fail("{}: BPE vocab id {} is far beyond the vocabulary's {} entries", m_source, maxId, m_vocab.size());
    m_vocabById.assign(static_cast<std::size_t>(maxId + 1), nullptr);
    for (const auto& [token, id] : m_vocab) m_vocabById[static_cast<std::size_t>(id)] = &token;

    if (const auto it = json.find("unk_token"); it != json.end() && it->is_string()) m_unkToken = it->get<std::string>();
    if (const auto it = json.find("continuing_subword_prefix"); it != json.end() && it->is_string())
        m_prefix = it->get<std::string>(), m_hasPrefix = true;
    if (const auto it = json.find("end_of_word_suffix"); it != json.end() && it->is_string())
        m_suffix = it->get<std::string>(), m_hasSuffix = true;
    m_fuseUnk = reader.boolOr(json, "fuse_unk", "BPE model", false);
    m_byteFallback = reader.boolOr(json, "byte_fallback", "BPE model", false);
    m_ignoreMerges = reader.boolOr(json, "ignore_merges", "BPE model", false);

    const Json& merges = reader.get(json, "merges", "BPE model");
    if (!merges.is_array()) fail("{}: BPE model 'merges' must be an array", m_source);
    m_merges.reserve(merges.size());
    std::uint32_t rank = 0;
    for (const Json& merge : merges) {
        std::string a, b;
        if (merge.is_string()) { // legacy "a b"
            const std::string line = merge.get<std::string>();
            if (line.rfind("#version", 0) == 0) continue;
            const std::size_t space = line.find(' ');
            if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
                fail("{}: BPE merge {} ('{}') is not two tokens separated by one space", m_source, rank + 1, line);
            a = line.substr(0, space);
            b = line.substr(space + 1);
        } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
            a = merge[0].get<std::string>();
            b = merge[1].get<std::string>();
        } else {
            fail("{}: BPE merge {} must be \"a b\" or [\"a\", \"b\"]", m_source, rank + 1);
        }
        const auto aId = tokenToId(a), bId = tokenToId(b);
        if (!aId || !bId) fail("{}: BPE merge {} uses '{}', which is not in the vocabulary", m_source, rank + 1, aId ? b : a);
        // As the library: the second half loses the continuing-subword prefix's length.
        const std::string merged = a + b.substr(std::min(b.size(), m_hasPrefix ? m_prefix.size() : 0));
        const auto mergedId = tokenToId(merged);
        if (!mergedId) fail("{}: BPE merge {} makes '{}', which is not in the vocabulary", m_source, rank + 1, merged);
        m_merges[pairKey(*aId, *bId)] = {rank, *mergedId}; // a repeated pair keeps its last rank
        ++rank;
        char32_t previous = 0;
        for (std::size_t i = 0; i < merged.size();) {
            const std::size_t start = i;
            const char32_t cp = nextCodePoint(merged, i);
            if (start > 0) m_mergedPairs.insert(std::uint64_t{previous} << 32 | cp);
            previous = cp;
        }
    }

    for (int b = 0; b < 256; ++b) {
        const auto id = tokenToId(fmt::format("<0x{:02X}>", b));
        m_byteIds[static_cast<std::size_t>(b)] = id ? *id : -1;
    }
    // Cutting changes which character is first or last (prefix/suffix decoration), so not then.
    m_canCut = !m_hasPrefix && !m_hasSuffix;
    m_smallCharIds.assign(kSmallChars, -1);
    for (char32_t cp = 0; cp < kSmallChars; ++cp) {
        std::string utf8;
        appendUtf8(utf8, cp);
        if (const auto id = tokenToId(utf8)) m_smallCharIds[cp] = *id;
    }
}

std::optional<std::int32_t> BpeModel::tokenToId(std::string_view token) const
{
    const auto it = m_vocab.find(token);
    if (it == m_vocab.end()) return std::nullopt;
    return it->second;
}

const std::string* BpeModel::idToToken(std::int32_t id) const
{
    if (id < 0 || static_cast<std::size_t>(id) >= m_vocabById.size()) return nullptr;
    return m_vocabById[static_cast<std::size_t>(id)];
}

std::int32_t BpeModel::unkId() const
{
    const auto id = tokenToId(*m_unkToken);
    if (!id) fail("{}: BPE unk_token '{}' is not in the vocabulary", m_source, *m_unkToken);
    return *id;
}

std::optional<std::int32_t> BpeModel::symbolId(std::string_view symbol, bool first, bool last) const
{
    const bool decorated = (m_hasPrefix && !first) || (m_hasSuffix && last);
    if (!decorated) {
        std::size_t i = 0;
        const char32_t cp = nextCodePoint(symbol, i);
        if (cp < kSmallChars) {
            const std::int32_t id = m_smallCharIds[cp];
            return id >= 0 ? std::optional<std::int32_t>(id) : std::nullopt;
        }
        return tokenToId(symbol);
    }
    std::string s;
    if (m_hasPrefix && !first) s = m_prefix;
    s += symbol;
    if (m_hasSuffix && last) s += m_suffix;
    return tokenToId(s);
}

bool BpeModel::canSplitBetween(char32_t left, char32_t right) const
{
    return m_mergedPairs.find(std::uint64_t{left} << 32 | right) == m_mergedPairs.end();
}

void BpeModel::tokenize(std::string_view word, std::vector<std::int32_t>& out) const
{
    if (word.empty()) return;
    if (m_ignoreMerges) {
        if (const auto id = tokenToId(word)) {
            out.push_back(*id);
            return;
        }
    }
    if (word.size() < kCacheMaxWordBytes || !m_canCut) {
        tokenizeCached(word, out);
        return;
    }
    // A long word (a whole line when there is no pre-tokenizer, as for Llama-2/Mixtral): cut it
    // between characters that are both plain vocabulary symbols and that no merge result holds
    // side by side. No merge can cross such a cut, so the pieces merge exactly as the whole would
    // (and no unknown-token fusing or byte fallback spans it either).
    std::size_t pieceStart = 0, i = 0;
    char32_t previous = 0;
    bool previousKnown = false;
    while (i < word.size()) {
        const std::size_t start = i;
        const char32_t cp = nextCodePoint(word, i);
        const bool known = symbolId(word.substr(start, i - start), true, false).has_value();
        if (start > pieceStart && known && previousKnown && canSplitBetween(previous, cp)) {
            tokenizeCached(word.substr(pieceStart, start - pieceStart), out);
            pieceStart = start;
        }
        previous = cp;
        previousKnown = known;
    }
    tokenizeCached(word.substr(pieceStart), out);
}

void BpeModel::tokenizeCached(std::string_view word, std::vector<std::int32_t>& out) const
{
    const bool cacheable = word.size() < kCacheMaxWordBytes;
    if (cacheable) {
        std::lock_guard lock(m_cacheMutex);
        if (const auto it = m_cache.find(word); it != m_cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    const std::size_t before = out.size();
    mergeWord(word, out);
    if (cacheable) {
        std::lock_guard lock(m_cacheMutex);
        if (m_cache.size() < kCacheCapacity)
            m_cache.emplace(std::string(word), std::vector<std::int32_t>(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()));
    }
}

void BpeModel::mergeWord(std::string_view word, std::vector<std::int32_t>& out) const
{
    thread_local std::vector<Symbol> symbols;
    thread_local std::priority_queue<Candidate> queue; // drained below, so its storage is reused
    while (!queue.empty()) queue.pop();
    symbols.clear();
    const auto add = [&](std::int32_t id, std::size_t len) {
        const auto index = static_cast<std::int32_t>(symbols.size());
        if (!symbols.empty()) symbols.back().next = index;
        symbols.push_back({id, index - 1, -1, static_cast<std::uint32_t>(len)});
    };

    std::optional<std::pair<std::int32_t, std::size_t>> unk; // pending unknown token and its byte length
    for (std::size_t i = 0; i < word.size();) {
        const std::size_t len = std::min(utf8Length(static_cast<unsigned char>(word[i])), word.size() - i);
        const std::string_view ch = word.substr(i, len);
        const bool first = i == 0;
        i += len;
        const bool last = i == word.size();
        if (const auto id = symbolId(ch, first, last)) {
            if (unk) add(unk->first, unk->second), unk.reset();
            add(*id, len);
            continue;
        }
        if (m_byteFallback) {
            // The whole symbol (prefix and suffix included) goes to <0xXX> tokens, or none of it.
            std::string symbol;
            if (m_hasPrefix && !first) symbol = m_prefix;
            symbol += ch;
            if (m_hasSuffix && last) symbol += m_suffix;
            const bool all = std::all_of(symbol.begin(), symbol.end(),
                                         [&](char c) { return m_byteIds[static_cast<unsigned char>(c)] >= 0; });
            if (all) {
                for (const char c : symbol) add(m_byteIds[static_cast<unsigned char>(c)], 1);
                continue;
            }
        }
        if (!m_unkToken) continue; // no unknown token: the library drops the character
        if (unk && m_fuseUnk) {
            unk->second += len;
        } else {
            if (unk) add(unk->first, unk->second);
            unk = std::make_pair(unkId(), len);
        }
    }
    if (unk) add(unk->first, unk->second);

    const auto lookup = [&](std::int32_t a, std::int32_t b) -> const MergeValue* {
        const auto it = m_merges.find(pairKey(a, b));
        return it == m_merges.end() ? nullptr : &it->second;
    };
    for (std::size_t k = 0; k + 1 < symbols.size(); ++k)
        if (const MergeValue* m = lookup(symbols[k].id, symbols[k + 1].id))
            queue.push({m->rank, static_cast<std::int32_t>(k), m->id});

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& current = symbols[static_cast<std::size_t>(top.pos)];
        if (current.len == 0 || current.next == -1) continue;
        const auto nextPos = static_cast<std::size_t>(current.next);
        const Symbol right = symbols[nextPos];
        // Skip stale entries: the pair at this position has changed since it was queued.
        const MergeValue* m = lookup(current.id, right.id);
        if (!m || m->id != top.id) continue;
        current.id = top.id;
        current.len += right.len;
        current.next = right.next;
        symbols[nextPos].len = 0;
        if (right.next >= 0) symbols[static_cast<std::size_t>(right.next)].prev = top.pos;
        if (current.prev >= 0) {
            if (const MergeValue* p = lookup(symbols[static_cast<std::size_t>(current.prev)].id, current.id))
                queue.push({p->rank, current.prev, p->id});
        }
        if (current.next >= 0) {
            if (const MergeValue* n = lookup(current.id, symbols[static_cast<std::size_t>(current.next)].id))
                queue.push({n->rank, top.pos, n->id});
        }
    }
    for (const Symbol& s : symbols)
        if (s.len != 0) out.push_back(s.id);
}

} // namespace moewb::tokenizer_detail
