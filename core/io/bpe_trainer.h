// Byte-level BPE training (GPT-2 style), producing a Hugging Face tokenizer.json that Tokenizer
// (core/io/tokenizer.h), `tokenizers` and `transformers` load and encode identically.
//
// Algorithm: the `tokenizers` library's BpeTrainer with ByteLevel's initial alphabet.
// - Text is split around the special tokens, then pre-tokenized by the ByteLevel pre-tokenizer
//   (GPT-2 regex, no prefix space) into words written in the byte-level alphabet; words are counted.
// - Ids: the special tokens first (in the order given; `<|endoftext|>` = 0), then all 256 byte
//   symbols sorted by code point of their alphabet character, then one id per merge.
// - Each step merges the adjacent pair with the highest count (weighted by word counts). Ties go to
//   the smallest pair of ids (left id first, then right id), as the library's trainer does; within a
//   word, occurrences merge left to right without overlap. It stops at `vocabSize` tokens, when no
//   pair is left, or when the best count is below `minFrequency`.
// The same corpus and options give the same merges as
// `BpeTrainer(vocab_size, min_frequency, special_tokens, initial_alphabet=ByteLevel.alphabet())`.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moewb {

struct BpeTrainerOptions {
    std::size_t vocabSize = 2048; // special tokens + 256 byte symbols + merges
    std::int64_t minFrequency = 2;
    std::vector<std::string> specialTokens{"<|endoftext|>"};
};

struct TrainedBpe {
    std::vector<std::string> vocab; // token text (byte-level alphabet; specials verbatim) by id
    std::vector<std::pair<std::string, std::string>> merges; // in rank order
    std::size_t specialCount = 0; // ids 0..specialCount-1 are special tokens
    std::uint64_t words = 0; // pre-tokenized words in the corpus
    std::uint64_t distinctWords = 0;
};

class BpeTrainer {
public:
    explicit BpeTrainer(BpeTrainerOptions options = {});
    BpeTrainer(BpeTrainer&&) noexcept;
    BpeTrainer& operator=(BpeTrainer&&) noexcept;
    ~BpeTrainer();

    // Counts the words of one document. `source` names it in errors (invalid UTF-8, with offset).
    void addText(std::string_view text, std::string_view source);
    // Reads a UTF-8 text file (a leading BOM dropped) as one document; empty files are errors.
    void addFile(const std::filesystem::path& path);

    // Learns the merges. Throws when no word was counted or vocabSize is below the alphabet.
    TrainedBpe train() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

struct TokenizerFileOptions {
    std::string eosToken = "<|endoftext|>"; // also the pad token; empty: none
    std::size_t modelMaxLength = 1024;
};

// tokenizer.json: BPE model (vocab + merges as legacy "a b" strings, readable by every library
// version), ByteLevel pre-tokenizer (add_prefix_space false, use_regex true), decoder and
// post-processor (trim_offsets false), no normalizer, the special tokens as added tokens.
std::string tokenizerJson(const TrainedBpe& bpe);
// tokenizer_config.json for transformers' PreTrainedTokenizerFast (no BOS, EOS = pad).
std::string tokenizerConfigJson(const TrainedBpe& bpe, const TokenizerFileOptions& options = {});
// Writes both files into `directory` (created when missing), each atomically.
void writeTokenizerFiles(
    const TrainedBpe& bpe, const std::filesystem::path& directory, const TokenizerFileOptions& options = {});

} // namespace moewb
