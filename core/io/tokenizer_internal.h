// Pipeline stages of the tokenizer, mirroring the Hugging Face `tokenizers` library: added-token
// extraction, normalizer, pre-tokenizer, BPE model, post-processor and decoder. Private to core/io.
#pragma once
#include "core/io/tokenizer_regex.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace moewb::tokenizer_detail {

using Json = nlohmann::json;

// A piece of text and whether it starts at offset 0 of the original input (Metaspace "first").
using PieceSink = FunctionRef<void(std::string_view, bool)>;

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V> using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Reads a JSON field with a type check; errors name the file and the field.
struct JsonReader {
    const std::string& source;
    const Json& get(const Json& object, const char* key, const char* what) const;
    std::string string(const Json& object, const char* key, const char* what) const;
    std::string stringOr(const Json& object, const char* key, const char* what, std::string fallback) const;
    // A field the library types as `char`: a string of exactly one code point.
    std::string character(const Json& object, const char* key, const char* what) const;
    bool boolOr(const Json& object, const char* key, const char* what, bool fallback) const;
    std::string type(const Json& object, const char* what) const;
    // The steps of a Sequence: an array; their total over the file is bounded.
    const Json& steps(const Json& object, const char* key, const char* what) const;
    mutable std::size_t stepsSeen = 0;
};

// Sequences nest, and a hostile file could nest them deep enough to exhaust the stack.
class NestingGuard {
public:
    NestingGuard(const JsonReader& reader, const char* what);
    ~NestingGuard();
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;
};

// {"String": ...} or {"Regex": ...}, as Split and Replace store their patterns.
std::shared_ptr<const Regex> parsePattern(const Json& json, const JsonReader& reader, const char* what);

// Stages that lengthen text (ByteLevel doubles non-ASCII bytes, Replace inserts its content at every
// match) report by how much at most (output bytes per input byte, constant terms aside). Chained in
// Sequences the factors multiply, and a hostile file could grow a few bytes past any memory: the
// loader refuses pipelines whose product exceeds kMaxGrowth (real ones stay below 100).
constexpr double kMaxGrowth = 1024;

class Normalizer {
public:
    virtual ~Normalizer() = default;
    // `atStart` is cleared when the text no longer begins at the input's first character.
    virtual void normalize(std::string& text, bool& atStart) const = 0;
    virtual double growth() const { return 1; }
};
std::unique_ptr<Normalizer> parseNormalizer(const Json& json, const JsonReader& reader);

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    virtual void split(std::string_view piece, bool atStart, PieceSink emit) const = 0;
    virtual double growth() const { return 1; } // total bytes of the pieces per byte of `piece`
};
std::unique_ptr<PreTokenizer> parsePreTokenizer(const Json& json, const JsonReader& reader);

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void decode(std::vector<std::string>& tokens) const = 0;
    virtual double growth() const { return 1; }
};
std::unique_ptr<Decoder> parseDecoder(const Json& json, const JsonReader& reader);

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    virtual void process(std::vector<std::int32_t>& ids, bool addSpecialTokens) const = 0;
};
std::unique_ptr<PostProcessor> parsePostProcessor(const Json& json, const JsonReader& reader);

class BpeModel {
public:
    BpeModel(const Json& json, const JsonReader& reader);
    // Appends the ids of one pre-token (word). Thread-safe.
    void tokenize(std::string_view word, std::vector<std::int32_t>& out) const;
    std::optional<std::int32_t> tokenToId(std::string_view token) const;
    const std::string* idToToken(std::int32_t id) const;
    std::size_t size() const { return m_vocab.size(); }
    const StringMap<std::int32_t>& vocab() const { return m_vocab; }

private:
    struct MergeValue {
        std::uint32_t rank;
        std::int32_t id;
    };
    void tokenizeCached(std::string_view word, std::vector<std::int32_t>& out) const;
    void mergeWord(std::string_view word, std::vector<std::int32_t>& out) const;
    bool canSplitBetween(char32_t left, char32_t right) const;
    std::int32_t unkId() const;
    std::optional<std::int32_t> symbolId(std::string_view symbol, bool first, bool last) const;

    std::string m_source;
    StringMap<std::int32_t> m_vocab;
    std::vector<const std::string*> m_vocabById;
    std::unordered_map<std::uint64_t, MergeValue> m_merges;
    std::optional<std::string> m_unkToken;
    std::string m_prefix, m_suffix;
    bool m_hasPrefix = false, m_hasSuffix = false;
    bool m_fuseUnk = false, m_byteFallback = false, m_ignoreMerges = false;
    std::array<std::int32_t, 256> m_byteIds{};  // ids of <0xXX>, -1 when absent
    std::vector<std::int32_t> m_smallCharIds;     // fast path for code points < 0x800
    // Adjacent code-point pairs occurring inside any merge result: no merge can ever join two
    // characters whose pair is absent, so long words are cut there and tokenized piecewise.
    std::unordered_set<std::uint64_t> m_mergedPairs;
    bool m_canCut = false;
    mutable std::mutex m_cacheMutex;
    mutable StringMap<std::vector<std::int32_t>> m_cache;
};

struct AddedToken {
    std::string content;
    std::int32_t id = -1;
    bool singleWord = false, lstrip = false, rstrip = false, normalized = true, special = false;
};

class AddedVocabulary {
public:
    // Adds tokens the way the library's add_tokens assigns ids (the JSON's ids are only advisory).
    void add(std::vector<AddedToken> tokens, const BpeModel& model, const Normalizer* normalizer);

    // Splits `text` around added tokens; non-token parts are normalized first. Calls
    // onText(normalized piece, atStart) or onToken(id) in order.
    void extract(std::string_view text, const Normalizer* normalizer, PieceSink onText,
                 FunctionRef<void(std::int32_t)> onToken) const;

    std::optional<std::int32_t> tokenToId(std::string_view content) const;
    // Content as decode sees it (its normalized form for normalized tokens).
    const std::string* idToToken(std::int32_t id) const;
    bool isSpecial(std::string_view content) const;
    const AddedToken* find(std::int32_t id) const;
    // One entry per id, in the order they were added.
    const std::vector<AddedToken>& tokens() const { return m_tokens; }

private:
    struct Trie {
        struct Node {
            std::vector<std::pair<unsigned char, std::int32_t>> children;
            std::int32_t token = -1; // index into m_tokens
        };
        std::vector<Node> nodes{1};
        std::array<bool, 256> firstByte{};
        void insert(std::string_view pattern, std::int32_t token);
        bool empty() const { return nodes.size() == 1; }
    };
    struct Split {
        std::size_t begin, end;
        std::int32_t token; // index into m_tokens, -1 for text
    };
    void findMatches(std::string_view text, const Trie& trie, std::vector<Split>& out) const;
    bool isWordChar(std::string_view text, std::size_t offset) const;

    std::vector<AddedToken> m_tokens;
    StringMap<std::size_t> m_byContent;
    std::unordered_map<std::int32_t, std::size_t> m_byId;
    std::unordered_map<std::int32_t, std::string> m_normalizedContent;
    std::vector<const std::string*> m_decodeById; // what idToToken returns, indexed by id
    StringMap<bool> m_special;
    Trie m_rawTrie, m_normalizedTrie;
    std::shared_ptr<const Regex> m_wordChar;
};

} // namespace moewb::tokenizer_detail
