// One tokenizer fuzz input, run by tests/fuzz/fuzz_tokenizer.cpp and replayed by test_tokenizer.
// The first byte picks the mode:
//  - '{' or JSON whitespace: the whole input is a tokenizer.json. When it loads, fixed sample texts
//    and the input itself are encoded, the ids and a range of raw ids decoded.
//  - any other byte: the rest is text (any bytes, valid UTF-8 or not) encoded by the repository's
//    own tokenizer number `byte % count`; its bytes, read as 16-bit ids, are decoded too, and the
//    text goes through the four Unicode normalization forms.
// Returns normally or throws moewb::Error; a broken invariant throws std::logic_error, which the
// fuzzer turns into a crash and doctest into a failure.
#pragma once
#include "core/io/tokenizer.h"
#include "core/io/tokenizer_unicode.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace moewb::fuzz {

struct RealTokenizer {
    std::string name;
    Tokenizer tokenizer;
    // decode(encode(text, false), false) gives back the text (bad UTF-8 read as U+FFFD): byte-level
    // BPE with every byte in the vocabulary, no normalizer, no prefix space, no stripping added tokens.
    bool lossless = false;
    bool nfc = false; // lossless after an NFC normalizer: holds for text that NFC leaves unchanged
};

inline void require(bool condition, const std::string& what)
{
    if (!condition) throw std::logic_error("tokenizer fuzz invariant broken: " + what);
}

// The tokenizer.json files of the repository, in a fixed order (the encode mode's selector).
inline std::vector<RealTokenizer> loadRealTokenizers(const std::filesystem::path& sourceDir)
{
    struct Entry {
        const char* name;
        const char* path;
        bool lossless, nfc;
    };
    const Entry entries[] = {
        {"demo", "resources/demo/tokenizer/tokenizer.json", true, false},
        {"bytes256", "tests/data/tokenizers/bytes256/tokenizer.json", true, false},
        {"qwen2", "tests/reference/tokenizers/qwen2/tokenizer.json", false, true},
        {"olmoe", "tests/reference/tokenizers/olmoe/tokenizer.json", false, true},
        {"llama3", "tests/reference/tokenizers/llama3/tokenizer.json", true, false},
        {"deepseek_v2", "tests/reference/tokenizers/deepseek_v2/tokenizer.json", true, false},
        {"deepseek_v3", "tests/reference/tokenizers/deepseek_v3/tokenizer.json", true, false},
        {"llama_normalizer", "tests/reference/tokenizers/llama_normalizer/tokenizer.json", false, false},
        {"llama_metaspace", "tests/reference/tokenizers/llama_metaspace/tokenizer.json", false, false},
        {"edge_cases", "tests/reference/tokenizers/edge_cases/tokenizer.json", false, false},
    };
    std::vector<RealTokenizer> out;
    for (const Entry& e : entries) {
        RealTokenizer t{e.name, Tokenizer::fromFile(sourceDir / e.path), e.lossless, e.nfc};
        if (t.lossless || t.nfc) // a byte missing from the vocabulary would be dropped
            for (int b = 0; b < 256; ++b)
                require(t.tokenizer.tokenToId(std::string(
                            tokenizer_detail::byteToCharUtf8(static_cast<unsigned char>(b)))).has_value(),
                        t.name + " lacks a byte-level symbol");
        out.push_back(std::move(t));
    }
    return out;
}

// Ids the model or the added tokens know; with `known` false only non-negativity is required
// (a post-processor's ids come straight from the file, as in the library).
inline void checkIds(const Tokenizer& tok, const std::vector<std::int32_t>& ids, bool known, bool dense,
                     const std::string& what)
{
    for (const std::int32_t id : ids) {
        require(id >= 0, what + ": negative id " + std::to_string(id));
        if (known) require(tok.idToToken(id).has_value(), what + ": id " + std::to_string(id) + " has no token");
        if (dense) require(static_cast<std::size_t>(id) < tok.vocabSize(), what + ": id past the vocabulary");
    }
}

inline void checkDecode(const Tokenizer& tok, const std::vector<std::int32_t>& ids, const std::string& what)
{
    for (const bool skip : {false, true})
        require(tokenizer_detail::isValidUtf8(tok.decode(ids, skip)), what + ": decode gave invalid UTF-8");
}

// Encodes `text` both ways and checks what holds for any tokenizer; returns the ids without specials.
inline std::vector<std::int32_t> checkEncode(const Tokenizer& tok, std::string_view text, bool dense,
                                             const std::string& what)
{
    const auto plain = tok.encode(text, false);
    checkIds(tok, plain, true, dense, what);
    require(tok.encode(text, false) == plain, what + ": encoding twice differs (cache)");
    const auto withSpecials = tok.encode(text, true);
    checkIds(tok, withSpecials, dense, dense, what + " with special tokens");
    checkDecode(tok, plain, what);
    checkDecode(tok, withSpecials, what);
    return plain;
}

// UAX #15 stability: each form is idempotent, and composing or decomposing first changes nothing.
inline void checkNormalization(const std::string& text)
{
    using tokenizer_detail::NormalForm;
    const auto norm = [](const std::string& s, NormalForm form) { return tokenizer_detail::normalizeUnicode(s, form); };
    const std::string nfc = norm(text, NormalForm::NFC), nfd = norm(text, NormalForm::NFD);
    const std::string nfkc = norm(text, NormalForm::NFKC), nfkd = norm(text, NormalForm::NFKD);
    require(norm(nfc, NormalForm::NFC) == nfc && norm(nfd, NormalForm::NFD) == nfd, "NFC/NFD idempotent");
    require(norm(nfkc, NormalForm::NFKC) == nfkc && norm(nfkd, NormalForm::NFKD) == nfkd, "NFKC/NFKD idempotent");
    require(norm(nfd, NormalForm::NFC) == nfc && norm(nfc, NormalForm::NFD) == nfd, "NFC(NFD(x)) == NFC(x) and back");
    require(norm(nfkd, NormalForm::NFKC) == nfkc && norm(nfkc, NormalForm::NFKD) == nfkd, "NFKC(NFKD(x)) == NFKC(x)");
    require(norm(nfc, NormalForm::NFKC) == nfkc && norm(nfd, NormalForm::NFKD) == nfkd, "NFKC(NFC(x)) == NFKC(x)");
    require(tokenizer_detail::isValidUtf8(nfc) && tokenizer_detail::isValidUtf8(nfkd), "normalized text is UTF-8");
}

inline void runRealTokenizer(const RealTokenizer& real, std::string_view bytes)
{
    const Tokenizer& tok = real.tokenizer;
    const auto ids = checkEncode(tok, bytes, true, real.name);
    const std::string valid = tokenizer_detail::toValidUtf8(bytes);
    checkNormalization(valid);
    const bool roundTrips =
        real.lossless ||
        (real.nfc && tokenizer_detail::normalizeUnicode(valid, tokenizer_detail::NormalForm::NFC) == valid);
    if (roundTrips) require(tok.decode(ids, false) == valid, real.name + ": decode(encode(text)) != text");
    std::vector<std::int32_t> raw; // arbitrary ids: unknown ones are skipped, nothing breaks
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
        raw.push_back(static_cast<std::int32_t>(static_cast<unsigned char>(bytes[i]) |
                                                static_cast<unsigned char>(bytes[i + 1]) << 8) - 8);
    checkDecode(tok, raw, real.name + " raw ids");
}

inline void runLoadedTokenizer(std::string_view json)
{
    const Tokenizer tok = Tokenizer::fromJson(json, "fuzz/tokenizer.json");
    static const char* const samples[] = {
        "",
        " ",
        "Hello, world! It's 2024; x=1234567.",
        "  leading and trailing  \t\n\r\n",
        "caf\xC3\xA9 cafe\xCC\x81 Gr\xC3\xBC\xC3\x9F\x65 \xEF\xAC\x81 \xE2\x84\xAB",
        "\xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",
        "bad \xC3\x28 \xE2\x82 \xF0\x9F\x98 \xFF\xFE end",
        "<s> </s> <unk> <|endoftext|> [CLS] [SEP] \xE2\x96\x81word \xC4\xA0word",
    };
    std::size_t index = 0;
    for (const char* sample : samples) checkEncode(tok, sample, false, "sample " + std::to_string(index++));
    // The input is also text; cut short because a pattern whose every match backtracks polynomially
    // (`a*a*b|.`) is slow on long text by design, as in the library (see tokenizer_regex.cpp).
    checkEncode(tok, json.substr(0, 1024), false, "the input");
    std::vector<std::int32_t> range;
    const auto end = static_cast<std::int32_t>(std::min<std::size_t>(tok.vocabSize() + 8, 4096));
    for (std::int32_t id = -2; id < end; ++id) range.push_back(id);
    checkDecode(tok, range, "ids -2..");
}

inline void runTokenizerInput(std::string_view input, const std::vector<RealTokenizer>& real)
{
    if (input.empty()) return;
    const char mode = input.front();
    if (mode == '{' || mode == ' ' || mode == '\t' || mode == '\n' || mode == '\r') {
        runLoadedTokenizer(input);
        return;
    }
    runRealTokenizer(real[static_cast<unsigned char>(mode) % real.size()], input.substr(1));
}

} // namespace moewb::fuzz
