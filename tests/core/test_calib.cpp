// core/calib: reading text and JSONL corpora (UTF-8 checks, clear errors), token-id files, cutting
// the token stream into blocks (sequential windows, seeded random windows), and the data hashes.
#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "support/errors.h"
#include "support/paths.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <torch/types.h>

#include <fstream>
#include <numeric>
#include <set>

namespace fs = std::filesystem;
using namespace moewb;
using moewb::test::errorOf;

namespace {

// Writes `bytes` to `name` inside the folder and returns its path.
fs::path write(const test::TempDir& dir, const std::string& name, const std::string& bytes)
{
    std::ofstream(dir.path / name, std::ios::binary) << bytes;
    return dir.path / name;
}

fs::path bytesTokenizer()
{
    return test::dataDir() / "tokenizers" / "bytes256" / "tokenizer.json";
}

std::vector<int32_t> iota(int n)
{
    std::vector<int32_t> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

} // namespace

TEST_CASE("UTF-8 validation finds the first ill-formed byte")
{
    CHECK(firstInvalidUtf8("plain ascii") == std::string_view::npos);
    CHECK(firstInvalidUtf8("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80") == std::string_view::npos);
    CHECK(firstInvalidUtf8("ab\xC0\x80") == 2); // overlong NUL
    CHECK(firstInvalidUtf8("a\xE0\x80\xAF") == 1); // overlong 3-byte
    CHECK(firstInvalidUtf8("\xED\xA0\x80") == 0); // surrogate U+D800
    CHECK(firstInvalidUtf8("x\xF4\x90\x80\x80") == 1); // past U+10FFFF
    CHECK(firstInvalidUtf8("xy\xF5") == 2);
    CHECK(firstInvalidUtf8("\xC3") == 0); // truncated
    CHECK(firstInvalidUtf8("ok\xE2\x9C") == 2); // truncated 3-byte
    CHECK(firstInvalidUtf8("\x80") == 0); // stray continuation
}

TEST_CASE("FNV-1a 64 matches the published function")
{
    CHECK(Fnv1a64Hash().hex() == "cbf29ce484222325");
    Fnv1a64Hash a;
    a.add(std::string_view("a"));
    CHECK(a.hex() == "af63dc4c8601ec8c");
    Fnv1a64Hash foobar;
    foobar.add(std::string_view("foobar"));
    CHECK(foobar.hex() == "85944171f73967e8");
}

TEST_CASE("text corpora: plain text, JSONL, and errors that name the file and the problem")
{
    test::TempDir dir("moewb-calib");
    SUBCASE("plain text is one document; a BOM is dropped; the hash covers the file's bytes")
    {
        auto path = write(dir, "a.txt", "\xEF\xBB\xBFHello\nworld\n");
        auto corpus = readTextCorpus(path);
        REQUIRE(corpus.documents.size() == 1);
        CHECK(corpus.documents[0] == "Hello\nworld\n");
        CHECK(corpus.fileBytes == 15);
        Fnv1a64Hash h;
        h.add(std::string_view("\xEF\xBB\xBFHello\nworld\n"));
        CHECK(corpus.fileHash == h.hex());
    }
    SUBCASE("JSONL: one record a line, blank lines skipped, documents joined by a blank line")
    {
        auto path = write(dir, "d.jsonl", "{\"text\": \"one\", \"id\": 1}\n\n{\"text\": \"tw\\u00f6\"}\n");
        auto corpus = readTextCorpus(path);
        REQUIRE(corpus.documents.size() == 2);
        CHECK(corpus.joined() == "one\n\ntw\xC3\xB6");
        auto custom = write(dir, "c.data", "{\"body\": \"x\"}\n");
        CHECK(readTextCorpus(custom, TextFormat::Jsonl, "body").documents[0] == "x");
    }
    SUBCASE("errors")
    {
        CHECK(errorOf([&] { readTextCorpus(write(dir, "e.txt", "")); })
            == (dir.path / "e.txt").string() + ": file is empty");
        CHECK(errorOf([&] { readTextCorpus(write(dir, "w.txt", " \n\t\n")); }).find("contains no text")
            != std::string::npos);
        const auto bad = errorOf([&] {
            readTextCorpus(write(dir, "b.txt",
                "line one\nab\xFF"
                "cd\n"));
        });
        CHECK(bad.find("b.txt: not valid UTF-8 text: bad byte 0xff at offset 11 (line 2, byte 3 of the line)")
            != std::string::npos);
        const auto notJson
            = errorOf([&] { readTextCorpus(write(dir, "n.jsonl", "{\"text\": \"a\"}\n{oops\n")); });
        CHECK(notJson.find("n.jsonl: line 2") != std::string::npos);
        const auto noField
            = errorOf([&] { readTextCorpus(write(dir, "f.jsonl", "{\"content\": \"a\"}\n")); });
        CHECK(noField.find("f.jsonl: line 1: record has no string field 'text'") != std::string::npos);
        CHECK(errorOf([&] { readTextCorpus(write(dir, "o.jsonl", "[1, 2]\n")); }).find("not a JSON object")
            != std::string::npos);
        CHECK(errorOf([&] { readTextCorpus(write(dir, "blank.jsonl", "\n\n  \n")); }).find("no JSONL records")
            != std::string::npos);
        CHECK(errorOf([&] { readTextCorpus(dir.path / "missing.txt"); }).find("missing.txt: no such file")
            != std::string::npos);
        CHECK(errorOf([&] { readTextCorpus(dir.path); }).find("is a folder") != std::string::npos);
    }
}

TEST_CASE("token-id files")
{
    test::TempDir dir("moewb-calib");
    CHECK(readTokenIds(write(dir, "i.txt", "1 2\n3\t4  \n")) == std::vector<int32_t>{1, 2, 3, 4});
    CHECK(errorOf([&] {
        readTokenIds(write(dir, "x.txt", "1 2\n3 x4\n"));
    }).find("x.txt: line 2: 'x4' is not a token id")
        != std::string::npos);
    CHECK(errorOf([&] { readTokenIds(write(dir, "n.txt", "-1")); }).find("'-1' is not a token id")
        != std::string::npos);
    CHECK(errorOf([&] {
        readTokenIds(write(dir, "v.txt", "5 256"), 256);
    }).find("line 1: token id 256 is outside the model's vocabulary of 256")
        != std::string::npos);
    CHECK(errorOf([&] { readTokenIds(write(dir, "s.txt", "  \n")); }).find("no token ids")
        != std::string::npos);
}

TEST_CASE("blocks: sequential windows, seeded random windows, too-short streams")
{
    const auto stream = iota(105);
    SUBCASE("sequential: every whole window, in order; the tail is unused")
    {
        auto b = makeBlocks(stream, {0, 10, BlockSelection::Sequential, 0}, "s");
        CHECK(b.count() == 10);
        CHECK(b.length() == 10);
        CHECK(b.streamTokens == 105);
        CHECK(b.offsets == std::vector<int64_t>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90});
        CHECK(b.ids[3][4].item<int64_t>() == 34);
        auto first3 = makeBlocks(stream, {3, 10, BlockSelection::Sequential, 0}, "s");
        CHECK(torch::equal(first3.ids, b.ids.slice(0, 0, 3)));
    }
    SUBCASE("random: n distinct windows, in stream order, fixed by the seed")
    {
        auto a = makeBlocks(stream, {4, 10, BlockSelection::Random, 7}, "s");
        auto again = makeBlocks(stream, {4, 10, BlockSelection::Random, 7}, "s");
        CHECK(a.offsets == again.offsets);
        CHECK(a.dataHash == again.dataHash);
        CHECK(std::is_sorted(a.offsets.begin(), a.offsets.end()));
        CHECK(std::set<int64_t>(a.offsets.begin(), a.offsets.end()).size() == 4);
        for (size_t i = 0; i < a.offsets.size(); ++i) {
            CHECK(a.offsets[i] % 10 == 0);
            CHECK(a.ids[static_cast<int64_t>(i)][0].item<int64_t>() == a.offsets[i]);
        }
        std::set<std::vector<int64_t>> selections;
        for (uint64_t seed = 0; seed < 8; ++seed)
            selections.insert(makeBlocks(stream, {4, 10, BlockSelection::Random, seed}, "s").offsets);
        CHECK(selections.size() > 4); // seeds pick different windows
    }
    SUBCASE("the data hash identifies the blocks, not where they came from")
    {
        auto a = makeBlocks(stream, {3, 10, BlockSelection::Sequential, 0}, "one");
        auto b = makeBlocks(std::vector<int32_t>(stream.begin(), stream.begin() + 30),
            {0, 10, BlockSelection::Sequential, 9}, "two");
        CHECK(a.dataHash == b.dataHash);
        CHECK(a.dataHash != makeBlocks(stream, {3, 10, BlockSelection::Random, 1}, "one").dataHash);
        CHECK(a.dataHash != makeBlocks(stream, {2, 15, BlockSelection::Sequential, 0}, "one").dataHash);
    }
    SUBCASE("too short: how many tokens were found and how many are needed")
    {
        CHECK(errorOf([&] {
            makeBlocks(stream, {11, 10, BlockSelection::Random, 0}, "calib.txt");
        }) == "calib.txt: 105 tokens, but 11 blocks of 10 tokens need 110");
        CHECK(errorOf([&] {
            makeBlocks(iota(1500), {0, 2048, BlockSelection::Sequential, 0}, "t.txt");
        }) == "t.txt: 1,500 tokens, but one block of 2,048 tokens needs 2,048");
        CHECK(errorOf([&] {
            makeBlocks(stream, {0, 10, BlockSelection::Random, 0}, "r");
        }).find("needs a block count")
            != std::string::npos);
        CHECK(errorOf([&] {
            makeBlocks(stream, {1, 1, BlockSelection::Sequential, 0}, "r");
        }).find("at least 2")
            != std::string::npos);
    }
}

TEST_CASE("text to blocks through a tokenizer")
{
    test::TempDir dir("moewb-calib");
    const auto tokenizer = Tokenizer::fromFile(bytesTokenizer());
    SUBCASE("the 256-token byte-level fixture maps every byte to its value (as the tokenizers library does)")
    {
        const std::string text = "H\xC3\xA9llo, w\xC3\xB6rld! 123\n\tend \xE2\x9C\x93";
        auto ids = tokenizer.encode(text);
        std::vector<int32_t> bytes;
        for (unsigned char c : text)
            bytes.push_back(c);
        CHECK(ids == bytes);
        CHECK(tokenizer.vocabSize() == 256);
    }
    SUBCASE("loadTextBlocks")
    {
        const auto path = write(dir, "t.jsonl", "{\"text\": \"abcdefghij\"}\n{\"text\": \"klmnop\"}\n");
        auto blocks = loadTextBlocks(path, tokenizer, {0, 6, BlockSelection::Sequential, 0});
        CHECK(blocks.streamTokens == 18); // "abcdefghij\n\nklmnop"
        CHECK(blocks.count() == 3);
        CHECK(blocks.ids[2][5].item<int64_t>() == 'p');
        CHECK(blocks.ids[1][4].item<int64_t>() == '\n'); // the documents' separator
        CHECK(blocks.ids[2][0].item<int64_t>() == 'k');
        CHECK(blocks.sourceHash == readTextCorpus(path).fileHash);
        CHECK(errorOf([&] {
            loadTextBlocks(path, tokenizer, {4, 6, BlockSelection::Random, 0});
        }) == path.string() + ": 18 tokens, but 4 blocks of 6 tokens need 24");
    }
    SUBCASE("loadTokenIdBlocks")
    {
        const auto path = write(dir, "ids.txt", "1 2 3 4 5 6 7\n");
        auto blocks = loadTokenIdBlocks(path, {0, 3, BlockSelection::Sequential, 0}, 8);
        CHECK(blocks.count() == 2);
        CHECK(blocks.ids[1][2].item<int64_t>() == 6);
        CHECK_THROWS_AS(loadTokenIdBlocks(path, {0, 3, BlockSelection::Sequential, 0}, 7), Error);
    }
}
