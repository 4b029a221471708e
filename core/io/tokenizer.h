// Hugging Face tokenizer.json (as written by the `tokenizers` library), BPE models only: encodes
// exactly as the library does (added tokens, normalizer, pre-tokenizer, BPE, post-processor) and
// decodes through the file's decoder. Enough for Qwen2/Qwen3, DeepSeek(-V2/-V3), OLMoE/GPT-NeoX,
// GPT-2, Llama-2/3 and Mixtral tokenizers; anything else fails to load with an error naming the
// file and the unsupported component.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace moewb {

class Tokenizer {
public:
    // Reads tokenizer.json and, when present beside it, tokenizer_config.json (BOS/EOS tokens and
    // add_bos_token/add_eos_token; the chat template is ignored). Throws moewb::Error.
    static Tokenizer fromFile(const std::filesystem::path& tokenizerJson);
    // `json` is a tokenizer.json document; `configJson` an optional tokenizer_config.json one.
    // `source` names them in errors.
    static Tokenizer fromJson(std::string_view json, std::string_view source,
                              std::optional<std::string_view> configJson = std::nullopt);

    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    // Token ids of `text`, like `tokenizer.encode(text, add_special_tokens=...).ids`. Invalid UTF-8
    // is read as if each bad sequence were U+FFFD. Thread-safe.
    std::vector<std::int32_t> encode(std::string_view text, bool addSpecialTokens = true) const;
    // Text of `ids` through the file's decoder, like `tokenizer.decode(ids, skip_special_tokens)`;
    // unknown ids are skipped.
    std::string decode(std::span<const std::int32_t> ids, bool skipSpecialTokens = false) const;

    std::optional<std::int32_t> tokenToId(std::string_view token) const;
    std::optional<std::string> idToToken(std::int32_t id) const;
    // Distinct ids: the model's vocabulary plus added tokens outside it.
    std::size_t vocabSize() const;
    bool isSpecial(std::int32_t id) const;

    // From tokenizer_config.json (bos_token / eos_token), when given and known to the vocabulary.
    std::optional<std::int32_t> bosId() const;
    std::optional<std::int32_t> eosId() const;
    // tokenizer_config.json flags, false when absent. encode() follows tokenizer.json's own
    // post-processor, as the `tokenizers` library does; these tell callers what the model expects.
    bool addBosToken() const;
    bool addEosToken() const;

    const std::string& source() const;

private:
    struct Impl;
    explicit Tokenizer(std::unique_ptr<Impl> impl);
    static Tokenizer load(std::string_view json, std::string source, std::optional<std::string_view> configJson,
                          const std::string& configSource);
    std::unique_ptr<Impl> m_impl;
};

} // namespace moewb
