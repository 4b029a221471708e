// Added tokens (special and not): found before pre-tokenization with leftmost-longest matching, as
// the `tokenizers` library's AddedVocabulary does: first the non-normalized tokens on the raw text,
// then the normalized ones on each normalized remainder.
#include "core/io/tokenizer_internal.h"
#include "core/io/tokenizer_unicode.h"

#include <algorithm>

namespace moewb::tokenizer_detail {

void AddedVocabulary::Trie::insert(std::string_view pattern, std::int32_t token)
{
    std::size_t node = 0;
    for (const char ch : pattern) {
        const auto byte = static_cast<unsigned char>(ch);
        auto& children = nodes[node].children;
        const auto it = std::find_if(children.begin(), children.end(), [&](const auto& c) { return c.first == byte; });
        if (it != children.end()) {
            node = static_cast<std::size_t>(it->second);
            continue;
        }
        children.emplace_back(byte, static_cast<std::int32_t>(nodes.size()));
        nodes.emplace_back();
        node = nodes.size() - 1;
    }
    nodes[node].token = token;
    firstByte[static_cast<unsigned char>(pattern.front())] = true;
}

void AddedVocabulary::add(std::vector<AddedToken> tokens, const BpeModel& model, const Normalizer* normalizer)
{
    // Same id assignment as AddedVocabulary::add_tokens: an existing id for known content, else the
    // next id after the model's vocabulary.
    auto nextId = static_cast<std::int32_t>(model.size());
    for (AddedToken& token : tokens) {
        if (token.content.empty()) continue;
        std::optional<std::int32_t> id = tokenToId(token.content);
        if (!id) id = model.tokenToId(token.content);
        token.id = id ? *id : nextId++;
        if (const auto it = m_byId.find(token.id); it != m_byId.end()) {
            m_byContent.erase(m_tokens[it->second].content);
            m_tokens[it->second] = token;
        } else {
            m_byId.emplace(token.id, m_tokens.size());
            m_tokens.push_back(token);
        }
        m_byContent[token.content] = m_byId[token.id];
        if (token.special) m_special[token.content] = true;
    }
    for (std::size_t i = 0; i < m_tokens.size(); ++i) {
        const AddedToken& token = m_tokens[i];
        std::string pattern = token.content;
        if (token.normalized && normalizer) {
            bool atStart = true;
            normalizer->normalize(pattern, atStart);
            if (pattern != token.content) m_normalizedContent[token.id] = pattern;
        }
        if (pattern.empty()) continue;
        (token.normalized ? m_normalizedTrie : m_rawTrie).insert(pattern, static_cast<std::int32_t>(i));
    }
    m_decodeById.clear(); // points into m_tokens, complete from here on
    for (const AddedToken& token : m_tokens) {
        if (token.id < 0) continue;
        const auto index = static_cast<std::size_t>(token.id);
        if (m_decodeById.size() <= index) m_decodeById.resize(index + 1, nullptr);
        const auto it = m_normalizedContent.find(token.id);
        m_decodeById[index] = it != m_normalizedContent.end() ? &it->second : &token.content;
    }
    m_wordChar = Regex::pcre("[" + rustWordClass() + "]", "tokenizer"); // the library tests with Rust \w

}

const AddedToken* AddedVocabulary::find(std::int32_t id) const
{
    const auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

std::optional<std::int32_t> AddedVocabulary::tokenToId(std::string_view content) const
{
    const auto it = m_byContent.find(content);
    if (it == m_byContent.end()) return std::nullopt;
    return m_tokens[it->second].id;
}

const std::string* AddedVocabulary::idToToken(std::int32_t id) const
{
    if (id < 0 || static_cast<std::size_t>(id) >= m_decodeById.size()) return nullptr;
    return m_decodeById[static_cast<std::size_t>(id)];
}

bool AddedVocabulary::isSpecial(std::string_view content) const { return m_special.find(content) != m_special.end(); }

bool AddedVocabulary::isWordChar(std::string_view text, std::size_t offset) const
{
    return m_wordChar->matchesAt(text, offset);
}

void AddedVocabulary::findMatches(std::string_view text, const Trie& trie, std::vector<Split>& out) const
{
    std::size_t startOffset = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Leftmost-longest: the first position where any token starts, the longest token there.
        std::size_t matchEnd = 0;
        std::int32_t matchToken = -1;
        for (; pos < text.size(); ++pos) {
            if (!trie.firstByte[static_cast<unsigned char>(text[pos])]) continue;
            std::size_t node = 0;
            for (std::size_t k = pos; k < text.size(); ++k) {
                const auto byte = static_cast<unsigned char>(text[k]);
                const auto& children = trie.nodes[node].children;
                const auto it =
                    std::find_if(children.begin(), children.end(), [&](const auto& c) { return c.first == byte; });
                if (it == children.end()) break;
                node = static_cast<std::size_t>(it->second);
                if (trie.nodes[node].token >= 0) {
                    matchEnd = k + 1;
                    matchToken = trie.nodes[node].token;
                }
            }
            if (matchToken >= 0) break;
        }
        if (matchToken < 0) break;
        std::size_t start = pos, stop = matchEnd;
        pos = matchEnd; // the search resumes after this match even when the token is rejected below
        const AddedToken& token = m_tokens[static_cast<std::size_t>(matchToken)];
        if (token.singleWord) {
            bool wordBefore = false;
            if (start > 0) {
                std::size_t prev = start - 1;
                while (prev > 0 && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80) --prev;
                wordBefore = isWordChar(text, prev);
            }
            const bool wordAfter = stop < text.size() && isWordChar(text, stop);
            if (wordBefore || wordAfter) continue;
        }
        if (token.lstrip) {
            std::size_t newStart = start;
            while (newStart > 0) {
                std::size_t prev = newStart - 1;
                while (prev > 0 && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80) --prev;
                std::size_t i = prev;
                if (!isWhitespace(nextCodePoint(text, i))) break;
                newStart = prev;
            }
            start = std::max(newStart, startOffset);
        }
        if (token.rstrip) {
            while (stop < text.size()) {
                std::size_t i = stop;
                if (!isWhitespace(nextCodePoint(text, i))) break;
                stop = i;
            }
            pos = std::max(pos, stop);
        }
        if (startOffset < start) out.push_back({startOffset, start, -1});
        out.push_back({start, stop, matchToken});
        startOffset = stop;
    }
    if (startOffset < text.size()) out.push_back({startOffset, text.size(), -1});
}

void AddedVocabulary::extract(std::string_view text, const Normalizer* normalizer, PieceSink onText,
                              FunctionRef<void(std::int32_t)> onToken) const
{
    std::vector<Split> raw;
    findMatches(text, m_rawTrie, raw);
    std::vector<Split> inner;
    for (const Split& split : raw) {
        if (split.begin == split.end) continue;
        if (split.token >= 0) {
            onToken(m_tokens[static_cast<std::size_t>(split.token)].id);
            continue;
        }
        std::string normalized(text.substr(split.begin, split.end - split.begin));
        bool atStart = split.begin == 0;
        if (normalizer) normalizer->normalize(normalized, atStart);
        if (normalized.empty()) continue;
        const CleanRegion clean(normalized); // one scan here instead of one per regex per piece
        inner.clear();
        findMatches(normalized, m_normalizedTrie, inner);
        for (const Split& piece : inner) {
            if (piece.begin == piece.end) continue;
            if (piece.token >= 0) onToken(m_tokens[static_cast<std::size_t>(piece.token)].id);
            else onText(std::string_view(normalized).substr(piece.begin, piece.end - piece.begin),
                        atStart && piece.begin == 0);
        }
    }
}

} // namespace moewb::tokenizer_detail
