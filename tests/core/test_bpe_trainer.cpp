// Byte-level BPE training (core/io/bpe_trainer.h): merges computed by hand on tiny corpora, the
// library's tie rule, round trips through our Tokenizer, errors, and the committed demo tokenizer
// against ids from the `tokenizers` library (tests/reference/check_demo_tokenizer.py).
#include "core/io/bpe_trainer.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "support/paths.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using moewb::BpeTrainer;
using moewb::BpeTrainerOptions;
using moewb::Tokenizer;
using moewb::TrainedBpe;
using Merges = std::vector<std::pair<std::string, std::string>>;

namespace {

BpeTrainerOptions options(std::size_t vocabSize, std::int64_t minFrequency = 2)
{
    BpeTrainerOptions o;
    o.vocabSize = vocabSize;
    o.minFrequency = minFrequency;
    return o;
}

Tokenizer load(const TrainedBpe& bpe)
{
    return Tokenizer::fromJson(moewb::tokenizerJson(bpe), "trained", moewb::tokenizerConfigJson(bpe));
}

std::string readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, "missing " << path.string());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return std::move(buffer).str();
}

// FNV-1a 64 over the ids as little-endian int32 (as check_demo_tokenizer.py computes it).
std::string fnv1a64(const std::vector<std::int32_t>& ids)
{
    std::uint64_t h = 0xCBF29CE484222325ull;
    for (const std::int32_t id : ids)
        for (int b = 0; b < 4; ++b) {
            h ^= (static_cast<std::uint32_t>(id) >> (8 * b)) & 0xFFu;
            h *= 0x100000001B3ull;
        }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

} // namespace

TEST_CASE("aaabdaaabac: merges by count, ties to the smaller pair, stops below min frequency")
{
    BpeTrainer trainer(options(300));
    trainer.addText("aaabdaaabac", "tiny");
    const TrainedBpe bpe = trainer.train();
    // Pairs: aa 4, ab 2, ... -> "aa" (id 257); then aa+a 2 and a+b 2 tie and (a=65, b=66) is the
    // smaller pair of ids -> "ab"; then aa+ab 2 -> "aaab"; every pair left occurs once.
    CHECK(bpe.merges == Merges{{"a", "a"}, {"a", "b"}, {"aa", "ab"}});
    REQUIRE(bpe.vocab.size() == 260);
    CHECK(bpe.vocab[0] == "<|endoftext|>");
    CHECK(bpe.vocab[1] == "!"); // byte symbols sorted by code point: '!' (0x21) first
    CHECK(bpe.vocab[65] == "a");
    CHECK(bpe.vocab[257] == "aa");
    CHECK(bpe.vocab[259] == "aaab");
    CHECK(bpe.words == 1);

    const Tokenizer tok = load(bpe);
    CHECK(tok.encode("aaabdaaabac", false) == std::vector<std::int32_t>{259, 68, 259, 65, 67});

    // With min frequency 1 the count-1 pairs merge too, smallest ids first: a+c (65, 67).
    BpeTrainer all(options(261, 1));
    all.addText("aaabdaaabac", "tiny");
    const TrainedBpe more = all.train();
    CHECK(more.merges.size() == 4);
    CHECK(more.merges.back() == std::pair<std::string, std::string>{"a", "c"});
}

TEST_CASE("ties compare ids, not strings, as the tokenizers library does")
{
    BpeTrainer trainer(options(300));
    for (int i = 0; i < 3; ++i) {
        trainer.addText("aac", "doc");
        trainer.addText("bc", "doc");
    }
    const TrainedBpe bpe = trainer.train();
    // a+a 3 and a+c 3 tie: (65, 65) first. Then aa+c 3 and b+c 3 tie: "aa" < "b" as strings, but
    // its id 257 > 66, so b+c comes first.
    CHECK(bpe.merges == Merges{{"a", "a"}, {"b", "c"}, {"aa", "c"}});
}

TEST_CASE("words come from the GPT-2 pre-tokenizer in the byte-level alphabet; specials are cut out")
{
    BpeTrainer trainer(options(1000));
    trainer.addText("the cat<|endoftext|>the cat<|endoftext|> the  cat", "doc");
    const TrainedBpe bpe = trainer.train();
    // Words: the, Ġcat, the, Ġcat, Ġthe, Ġ, Ġcat (the double space leaves a lone Ġ before " cat").
    CHECK(bpe.words == 7);
    CHECK(bpe.distinctWords == 4);
    for (const auto& [a, b] : bpe.merges) {
        CHECK(a.find('<') == std::string::npos);
        CHECK(b.find('|') == std::string::npos);
    }
    CHECK(std::find(bpe.vocab.begin(), bpe.vocab.end(), "Ġcat") != bpe.vocab.end());
    const Tokenizer tok = load(bpe);
    const auto ids = tok.encode("the cat<|endoftext|>", false);
    REQUIRE(ids.size() == 3);
    CHECK(ids.back() == 0);
    CHECK(tok.eosId() == 0);
    CHECK_FALSE(tok.bosId().has_value());
    CHECK(tok.isSpecial(0));
}

TEST_CASE("encode/decode is the identity on arbitrary UTF-8, seen in training or not")
{
    BpeTrainer trainer(options(400));
    trainer.addText(
        "In the beginning God created the heaven and the earth. And the earth was without form.", "doc");
    const Tokenizer tok = load(trainer.train());
    const std::string texts[] = {
        "In the beginning",
        "Grüße, 世界! 👨‍👩‍👧 naïve — “quotes” …",
        std::string("\0\x01\x7f\t\r\n  \n\n", 11),
        "x=1234;   trailing   ",
        "<|endoftext|>then<|endoftext|>",
        "",
    };
    for (const std::string& text : texts) {
        INFO(text);
        CHECK(tok.decode(tok.encode(text, false)) == text);
    }
    std::string allBytes; // every code point length, and each ASCII byte
    for (int c = 1; c < 128; ++c)
        allBytes += static_cast<char>(c);
    allBytes += "\xC2\xA0\xE2\x80\xA8\xF0\x9F\x98\x80";
    CHECK(tok.decode(tok.encode(allBytes, false)) == allBytes);
}

TEST_CASE("training is deterministic and writes both files atomically")
{
    moewb::test::TempDir dir("moewb-bpe");
    const std::string corpus = "And God said, Let there be light: and there was light.\n"
                               "And God saw the light, that it was good.\n";
    std::string first;
    for (int run = 0; run < 2; ++run) {
        BpeTrainer trainer(options(300));
        trainer.addText(corpus, "doc");
        const TrainedBpe bpe = trainer.train();
        moewb::writeTokenizerFiles(bpe, dir.path / "out");
        const std::string written = readFile(dir.path / "out" / "tokenizer.json");
        if (run == 0)
            first = written;
        else
            CHECK(written == first);
    }
    CHECK(dir.entries() == std::vector<std::string>{"out"});
    std::vector<std::string> files; // nothing temporary left behind
    for (const auto& e : fs::directory_iterator(dir.path / "out"))
        files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end());
    CHECK(files == std::vector<std::string>{"tokenizer.json", "tokenizer_config.json"});
    const auto config = nlohmann::json::parse(readFile(dir.path / "out" / "tokenizer_config.json"));
    CHECK(config["tokenizer_class"] == "PreTrainedTokenizerFast");
    CHECK(config["eos_token"] == "<|endoftext|>");
    CHECK(config["bos_token"].is_null());
    const Tokenizer tok = Tokenizer::fromFile(dir.path / "out" / "tokenizer.json");
    CHECK(tok.decode(tok.encode(corpus)) == corpus);
}

TEST_CASE("errors name the file and the problem")
{
    moewb::test::TempDir dir("moewb-bpe");
    BpeTrainer trainer(options(300));
    CHECK_THROWS_WITH_AS(trainer.addText("abc\n\xFF", "bad.txt"),
        doctest::Contains("bad.txt: not valid UTF-8 at byte offset 4 (line 2"), moewb::Error);
    CHECK_THROWS_WITH_AS(trainer.train(), doctest::Contains("empty corpus"), moewb::Error);

    std::ofstream(dir.path / "blank.txt") << "\xEF\xBB\xBF \n\n\t";
    CHECK_THROWS_WITH_AS(
        trainer.addFile(dir.path / "blank.txt"), doctest::Contains("blank.txt: empty corpus"), moewb::Error);
    CHECK_THROWS_WITH_AS(trainer.addFile(dir.path / "missing.txt"),
        doctest::Contains("missing.txt: no such file"), moewb::Error);

    BpeTrainer tooSmall(options(100));
    tooSmall.addText("abc", "doc");
    CHECK_THROWS_WITH_AS(tooSmall.train(), doctest::Contains("below the 257"), moewb::Error);

    BpeTrainer ok(options(300));
    ok.addText("abcabc", "doc");
    std::ofstream(dir.path / "file") << "x";
    CHECK_THROWS_AS(moewb::writeTokenizerFiles(ok.train(), dir.path / "file" / "sub"), moewb::Error);
}

TEST_CASE("the committed demo tokenizer encodes exactly like the tokenizers library")
{
    const fs::path demo = moewb::test::sourceDir() / "resources" / "demo";
    const Tokenizer tok = Tokenizer::fromFile(demo / "tokenizer" / "tokenizer.json");
    const auto reference
        = nlohmann::json::parse(readFile(moewb::test::referenceDir() / "tokenizers" / "demo" / "cases.json"));
    CHECK(tok.vocabSize() == reference["vocab_size"].get<std::size_t>());
    CHECK(tok.vocabSize() == 2048);
    int cases = 0;
    for (const auto& c : reference["cases"]) {
        const std::string text = c["text"].get<std::string>();
        INFO(nlohmann::json(text).dump());
        CHECK(tok.encode(text) == c["ids"].get<std::vector<std::int32_t>>());
        ++cases;
    }
    CHECK(cases >= 30);
    int files = 0;
    for (const auto& f : reference["files"]) {
        const std::string text = readFile(moewb::test::sourceDir() / f["file"].get<std::string>());
        INFO(f["file"].get<std::string>());
        const auto ids = tok.encode(text);
        CHECK(ids.size() == f["tokens"].get<std::size_t>());
        CHECK(fnv1a64(ids) == f["fnv1a64"].get<std::string>());
        CHECK(tok.decode(ids) == text);
        ++files;
    }
    CHECK(files == 2);
}
