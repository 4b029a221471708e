// Byte-level BPE training: word counting through the tokenizer's own ByteLevel pre-tokenizer, then
// the merge loop of the `tokenizers` library's BpeTrainer (a max-heap of pair counts with lazy
// updates; only the words holding the merged pair are revisited).
#include "core/io/bpe_trainer.h"

#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/safetensors_header.h"
#include "core/io/tokenizer_internal.h"
#include "core/io/tokenizer_unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <queue>
#include <unordered_map>

namespace moewb {

using namespace tokenizer_detail;

struct BpeTrainer::Impl {
    BpeTrainerOptions options;
    std::string source = "ByteLevel pre-tokenizer";
    std::unique_ptr<PreTokenizer> preTokenizer;
    StringMap<std::int64_t> counts; // word in the byte-level alphabet -> occurrences
    std::uint64_t words = 0;
};

BpeTrainer::BpeTrainer(BpeTrainerOptions options)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->options = std::move(options);
    const JsonReader reader{m_impl->source};
    const Json config = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
    m_impl->preTokenizer = parsePreTokenizer(config, reader);
}
BpeTrainer::BpeTrainer(BpeTrainer&&) noexcept = default;
BpeTrainer& BpeTrainer::operator=(BpeTrainer&&) noexcept = default;
BpeTrainer::~BpeTrainer() = default;

void BpeTrainer::addText(std::string_view text, std::string_view source)
{
    if (const auto bad = findInvalidUtf8(text)) {
        const auto line
            = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
        fail("{}: not valid UTF-8 at byte offset {} (line {}, byte 0x{:02x})", source, *bad, line,
            static_cast<unsigned char>(text[*bad]));
    }
    const auto count = [&](std::string_view word, bool) {
        ++m_impl->words;
        const auto it = m_impl->counts.find(word);
        if (it != m_impl->counts.end())
            ++it->second;
        else
            m_impl->counts.emplace(std::string(word), 1);
    };
    // Special tokens are cut out first and never learned from, as the library's added vocabulary
    // does before pre-tokenizing. Earliest match first, longest on a tie.
    const auto& specials = m_impl->options.specialTokens;
    while (!text.empty()) {
        std::size_t at = std::string_view::npos, length = 0;
        for (const std::string& s : specials) {
            const std::size_t pos = s.empty() ? std::string_view::npos : text.find(s);
            if (pos < at || (pos == at && pos != std::string_view::npos && s.size() > length)) {
                at = pos;
                length = s.size();
            }
        }
        const std::string_view piece = text.substr(0, at);
        if (!piece.empty()) {
            const CleanRegion clean(piece);
            m_impl->preTokenizer->split(piece, true, count);
        }
        if (at == std::string_view::npos)
            break;
        text.remove_prefix(at + length);
    }
}

void BpeTrainer::addFile(const std::filesystem::path& path)
{
    std::string text = readWholeFile(path);
    std::string_view view = text;
    if (view.starts_with("\xEF\xBB\xBF"))
        view.remove_prefix(3);
    if (view.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos)
        fail("{}: empty corpus (no text to learn merges from)", path.string());
    addText(view, path.string());
}

namespace {

using Pair = std::uint64_t; // left id << 32 | right id: numeric order = order of (left, right)
Pair pairOf(std::int32_t a, std::int32_t b)
{
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

struct Candidate {
    std::int64_t count;
    Pair pair;
    // priority_queue pops the largest: highest count, then the smallest pair.
    bool operator<(const Candidate& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

// Merges every non-overlapping occurrence of (a, b), left to right.
void mergeWord(std::vector<std::int32_t>& symbols, std::int32_t a, std::int32_t b, std::int32_t merged)
{
    std::size_t out = 0;
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == a && symbols[i + 1] == b) {
            symbols[out++] = merged;
            ++i;
        } else {
            symbols[out++] = symbols[i];
        }
    }
    symbols.resize(out);
}

} // namespace

TrainedBpe BpeTrainer::train() const
{
    const BpeTrainerOptions& o = m_impl->options;
    TrainedBpe result;
    StringMap<std::int32_t> ids;
    const auto addToken = [&](const std::string& token) {
        const auto [it, inserted] = ids.emplace(token, static_cast<std::int32_t>(result.vocab.size()));
        if (inserted)
            result.vocab.push_back(token);
        return it->second;
    };
    for (const std::string& s : o.specialTokens)
        addToken(s);
    result.specialCount = result.vocab.size();
    // The byte alphabet by code point, as the library sorts its initial alphabet.
    std::array<char32_t, 256> chars{};
    for (int b = 0; b < 256; ++b)
        chars[static_cast<std::size_t>(b)] = byteToChar(static_cast<unsigned char>(b));
    std::sort(chars.begin(), chars.end());
    std::array<std::int32_t, 256> byteId{};
    for (const char32_t c : chars) {
        std::string text;
        appendUtf8(text, c);
        byteId[static_cast<std::size_t>(charToByte(c))] = addToken(text);
    }
    if (o.vocabSize < result.vocab.size())
        fail("vocabulary size {} is below the {} special and byte tokens", o.vocabSize, result.vocab.size());
    if (m_impl->counts.empty())
        fail("empty corpus (no text to learn merges from)");
    result.words = m_impl->words;
    result.distinctWords = m_impl->counts.size();

    // Words as symbol ids, sorted so that every run visits them in the same order.
    std::vector<std::pair<std::string_view, std::int64_t>> sorted(
        m_impl->counts.begin(), m_impl->counts.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::vector<std::int32_t>> words(sorted.size());
    std::vector<std::int64_t> counts(sorted.size());
    std::unordered_map<Pair, std::int64_t> pairCounts;
    std::unordered_map<Pair, std::vector<std::uint32_t>> where; // may hold stale entries
    for (std::size_t w = 0; w < sorted.size(); ++w) {
        const std::string_view word = sorted[w].first;
        for (std::size_t i = 0; i < word.size();)
            words[w].push_back(byteId[static_cast<std::size_t>(charToByte(nextCodePoint(word, i)))]);
        counts[w] = sorted[w].second;
        for (std::size_t i = 0; i + 1 < words[w].size(); ++i) {
            const Pair p = pairOf(words[w][i], words[w][i + 1]);
            pairCounts[p] += counts[w];
            where[p].push_back(static_cast<std::uint32_t>(w));
        }
    }
    std::priority_queue<Candidate> queue;
    for (const auto& [pair, count] : pairCounts)
        queue.push({count, pair});

    const std::int64_t minCount = std::max<std::int64_t>(o.minFrequency, 1);
    while (result.vocab.size() < o.vocabSize && !queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        const std::int64_t actual = pairCounts[top.pair];
        if (actual != top.count) { // stale: counts only fall without a fresh entry being pushed
            if (actual > 0)
                queue.push({actual, top.pair});
            continue;
        }
        if (top.count < minCount)
            break;
        const auto a = static_cast<std::int32_t>(top.pair >> 32);
        const auto b = static_cast<std::int32_t>(top.pair & 0xFFFFFFFFu);
        result.merges.emplace_back(
            result.vocab[static_cast<std::size_t>(a)], result.vocab[static_cast<std::size_t>(b)]);
        const std::int32_t merged = addToken(result.merges.back().first + result.merges.back().second);

        std::vector<std::uint32_t> affected = std::move(where[top.pair]);
        where.erase(top.pair);
        std::sort(affected.begin(), affected.end());
        affected.erase(std::unique(affected.begin(), affected.end()), affected.end());
        std::vector<Pair> grown;
        for (const std::uint32_t w : affected) {
            std::vector<std::int32_t>& symbols = words[w];
            for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
                pairCounts[pairOf(symbols[i], symbols[i + 1])] -= counts[w];
            mergeWord(symbols, a, b, merged);
            for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
                const Pair p = pairOf(symbols[i], symbols[i + 1]);
                pairCounts[p] += counts[w];
                if (symbols[i] == merged || symbols[i + 1] == merged) { // a pair this merge created
                    where[p].push_back(w);
                    grown.push_back(p);
                }
            }
        }
        std::sort(grown.begin(), grown.end());
        grown.erase(std::unique(grown.begin(), grown.end()), grown.end());
        for (const Pair p : grown)
            if (const std::int64_t c = pairCounts[p]; c > 0)
                queue.push({c, p});
    }
    return result;
}

} // namespace moewb
