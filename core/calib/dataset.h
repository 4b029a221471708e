// Calibration and evaluation data: text corpora (plain text or JSONL), token-id files, and blocks of
// n x s tokens cut from the token stream. Hashes are FNV-1a 64 (16 hex digits), the same function
// as Checkpoint::identityHash: identity checks for caches, not a defence against forged collisions.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace moewb {

class Tokenizer;

enum class TextFormat {
    Auto, // .jsonl / .ndjson -> Jsonl, anything else -> Plain
    Plain, // the whole file is one document (a leading UTF-8 BOM is dropped)
    Jsonl, // one JSON object a line; the document is its `field` string; blank lines are skipped
};

struct TextCorpus {
    std::filesystem::path path;
    std::vector<std::string> documents;
    uint64_t fileBytes = 0;
    std::string fileHash; // FNV-1a 64 of the file's bytes

    // Documents joined with `separator` (the text that is tokenised).
    std::string joined(std::string_view separator = "\n\n") const;
};

// Reads a corpus. Throws moewb::Error naming the file when it cannot be read, is empty or holds only
// whitespace, is not valid UTF-8 (with the byte offset, line and column of the first bad byte), or
// (JSONL) a line is not an object with a string `field`.
TextCorpus readTextCorpus(const std::filesystem::path& path, TextFormat format = TextFormat::Auto,
    const std::string& field = "text");

// The bytes of a data file that must be UTF-8 text. Throws moewb::Error naming the file when it cannot
// be read, is empty, or is not valid UTF-8 (offset, line and byte-in-line of the first bad byte).
std::string readUtf8File(const std::filesystem::path& path);

// Offset of the first byte that is not part of well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF), or npos.
size_t firstInvalidUtf8(std::string_view text);

// Token ids from a text file of whitespace-separated non-negative integers (a token stream; line
// breaks carry no meaning). With vocabSize > 0 every id must be below it. Throws moewb::Error.
std::vector<int32_t> readTokenIds(const std::filesystem::path& path, int64_t vocabSize = 0);

enum class BlockSelection {
    Sequential, // the first n non-overlapping windows (n = 0: all of them), in order: evaluation
    Random, // n of the non-overlapping windows, drawn with `seed`, in stream order: calibration
};

struct BlockOptions {
    int64_t blocks = 0; // n (0 = every whole window; Sequential only)
    int64_t blockLength = 512; // s
    BlockSelection selection = BlockSelection::Sequential;
    uint64_t seed = 0;
};

struct TokenBlocks {
    torch::Tensor ids; // [n, s] int64
    std::vector<int64_t> offsets; // where each block starts in the stream
    int64_t streamTokens = 0; // tokens in the whole stream
    BlockOptions options;
    std::string source; // file the stream came from
    std::string sourceHash; // FNV-1a 64 of that file's bytes (empty for in-memory streams)
    // FNV-1a 64 over n, s (8 bytes little-endian each) and every id of the blocks (4 bytes little-endian,
    // row-major): the same blocks give the same hash whatever file or tokenizer produced them.
    std::string dataHash;

    int64_t count() const { return ids.defined() ? ids.size(0) : 0; }
    int64_t length() const { return ids.defined() ? ids.size(1) : 0; }
    int64_t tokens() const { return count() * length(); }
};

// Cuts the stream into non-overlapping windows of s tokens (a tail shorter than s is not used) and
// picks n of them. Throws moewb::Error "<source>: N tokens, but n blocks of s tokens need n*s" when the
// stream is too short.
TokenBlocks makeBlocks(
    std::span<const int32_t> stream, const BlockOptions& options, const std::string& source);

// Tokenises the corpus (documents joined with "\n\n", encoded once with the tokenizer's special tokens,
// as the `tokenizers` library's encode() does) into a stream.
std::vector<int32_t> tokenize(const TextCorpus& corpus, const Tokenizer& tokenizer);

// readTextCorpus + tokenize + makeBlocks; sourceHash is the file's hash.
TokenBlocks loadTextBlocks(const std::filesystem::path& path, const Tokenizer& tokenizer,
    const BlockOptions& options, TextFormat format = TextFormat::Auto, const std::string& field = "text");

// readTokenIds + makeBlocks.
TokenBlocks loadTokenIdBlocks(
    const std::filesystem::path& path, const BlockOptions& options, int64_t vocabSize = 0);

// FNV-1a 64, for data identities.
class Fnv1a64Hash {
public:
    void add(std::span<const std::byte> bytes);
    void add(std::string_view text) { add(std::as_bytes(std::span(text.data(), text.size()))); }
    void addU64(uint64_t value); // 8 bytes little-endian
    uint64_t value() const { return m_state; }
    std::string hex() const; // 16 hex digits

private:
    uint64_t m_state = 0xcbf29ce484222325ull;
};

} // namespace moewb
