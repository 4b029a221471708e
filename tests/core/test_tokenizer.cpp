// tokenizer.json: exact ids against the `tokenizers` library for each model family's pipeline
// (tests/reference/gen_tokenizers.py), decode round-trips, hostile files, and the fuzzer's seeds and
// regression inputs (tests/fuzz/tokenizer_fuzz.h).
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/io/tokenizer_regex.h"
#include "core/io/tokenizer_unicode.h"
#include "fuzz/tokenizer_fuzz.h"
#include "support/fuzz_inputs.h"
#include "support/paths.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using moewb::Tokenizer;

namespace {

const char* const kFamilies[] = {"qwen2", "llama3", "deepseek_v2", "deepseek_v3", "olmoe",
                                 "llama_normalizer", "llama_metaspace", "edge_cases"};

fs::path familyDir(const std::string& family) { return moewb::test::referenceDir() / "tokenizers" / family; }

nlohmann::json readJson(const fs::path& path)
{
    std::ifstream in(path);
    REQUIRE_MESSAGE(in, "missing fixture " << path.string());
    return nlohmann::json::parse(in);
}

std::string escaped(const std::string& s) { return nlohmann::json(s).dump(); }

// A temporary directory holding one tokenizer.json with the given text.
struct TempTokenizer {
    fs::path dir;
    explicit TempTokenizer(const std::string& json, const std::string& name = "tokenizer.json")
    {
        dir = fs::temp_directory_path() / ("moewb_tok_" + std::to_string(std::hash<std::string>{}(json)) + "_" +
                                           std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        fs::create_directories(dir);
        std::ofstream(dir / name) << json;
    }
    ~TempTokenizer() { fs::remove_all(dir); }
    fs::path file() const { return dir / "tokenizer.json"; }
};

// The OLMoE fixture with one section replaced, for hostile-input tests.
std::string olmoeWith(const char* key, const nlohmann::json& value)
{
    auto json = readJson(familyDir("olmoe") / "tokenizer.json");
    json[key] = value;
    return json.dump();
}

void checkThrowsNaming(const fs::path& path, const std::string& needle)
{
    try {
        (void)Tokenizer::fromFile(path);
        FAIL("expected moewb::Error for " << path.string());
    } catch (const moewb::Error& e) {
        const std::string message = e.what();
        INFO(message);
        CHECK(message.find(path.string()) != std::string::npos);
        CHECK(message.find(needle) != std::string::npos);
    }
}

} // namespace

TEST_CASE("every family encodes exactly like the tokenizers library and decodes like it")
{
    int cases = 0;
    for (const char* family : kFamilies) {
        const Tokenizer tok = Tokenizer::fromFile(familyDir(family) / "tokenizer.json");
        const auto reference = readJson(familyDir(family) / "cases.json");
        CHECK(tok.vocabSize() == reference["vocab_size"].get<std::size_t>());
        for (const auto& c : reference["cases"]) {
            const std::string text = c["text"].get<std::string>();
            INFO(family << " text " << escaped(text));
            const auto ids = c["ids"].get<std::vector<std::int32_t>>();
            CHECK(tok.encode(text, true) == ids);
            CHECK(tok.encode(text, false) == c["ids_no_special"].get<std::vector<std::int32_t>>());
            CHECK(escaped(tok.decode(ids, false)) == escaped(c["decoded"].get<std::string>()));
            CHECK(escaped(tok.decode(ids, true)) == escaped(c["decoded_skip_special"].get<std::string>()));
            ++cases;
        }
    }
    CHECK(cases >= 8 * 150);
}

TEST_CASE("byte-level families round-trip any text through decode")
{
    const std::string text = "Grüße, 世界! 👨‍👩‍👧 \t\n  x=1234;\r\n";
    for (const char* family : {"qwen2", "deepseek_v2", "olmoe"}) {
        const Tokenizer tok = Tokenizer::fromFile(familyDir(family) / "tokenizer.json");
        CHECK(tok.decode(tok.encode(text, false), true) == text);
    }
    const Tokenizer llama = Tokenizer::fromFile(familyDir("llama_metaspace") / "tokenizer.json");
    CHECK(llama.decode(llama.encode(text, true), true) == text);
}

TEST_CASE("tokenizer_config.json gives BOS/EOS ids and flags")
{
    const Tokenizer qwen = Tokenizer::fromFile(familyDir("qwen2") / "tokenizer.json");
    CHECK_FALSE(qwen.bosId().has_value());
    REQUIRE(qwen.eosId().has_value());
    CHECK(*qwen.eosId() == *qwen.tokenToId("<|im_end|>"));
    CHECK_FALSE(qwen.addBosToken());
    CHECK(qwen.isSpecial(*qwen.tokenToId("<|endoftext|>")));
    CHECK_FALSE(qwen.isSpecial(*qwen.tokenToId("<think>")));

    const Tokenizer deepseek = Tokenizer::fromFile(familyDir("deepseek_v2") / "tokenizer.json");
    REQUIRE(deepseek.bosId().has_value());
    CHECK(deepseek.idToToken(*deepseek.bosId()) == "<｜begin▁of▁sentence｜>");
    CHECK(deepseek.addBosToken());
    CHECK(deepseek.encode("hi", true).front() == *deepseek.bosId());

    const Tokenizer llama = Tokenizer::fromFile(familyDir("llama_normalizer") / "tokenizer.json");
    CHECK(llama.bosId() == 1);
    CHECK(llama.eosId() == 2);
    CHECK(llama.tokenToId("<0x41>").has_value());
    CHECK_FALSE(llama.idToToken(1'000'000).has_value());
    CHECK(llama.decode(std::vector<std::int32_t>{1'000'000, -5}, false).empty());
}

TEST_CASE("invalid UTF-8 is read as U+FFFD and never crashes")
{
    const Tokenizer tok = Tokenizer::fromFile(familyDir("qwen2") / "tokenizer.json");
    const std::string bad = "ok \xC3\x28 \xE2\x82 \xF0\x9F\x98 end\xFF";
    CHECK(tok.encode(bad, false) == tok.encode(moewb::tokenizer_detail::toValidUtf8(bad), false));
    CHECK(moewb::tokenizer_detail::toValidUtf8(bad) == "ok \xEF\xBF\xBD( \xEF\xBF\xBD \xEF\xBF\xBD end\xEF\xBF\xBD");
}

TEST_CASE("encode is thread-safe and gives the same ids on every thread")
{
    const Tokenizer tok = Tokenizer::fromFile(familyDir("deepseek_v2") / "tokenizer.json");
    std::string text;
    for (int i = 0; i < 200; ++i) text += "Line " + std::to_string(i) + ": naïve café 中文 words words\n";
    const auto expected = tok.encode(text, true);
    std::vector<std::vector<std::int32_t>> results(4);
    std::vector<std::thread> threads;
    for (auto& r : results) threads.emplace_back([&] { r = tok.encode(text, true); });
    for (auto& t : threads) t.join();
    for (const auto& r : results) CHECK(r == expected);
}

TEST_CASE("Unicode normalization forms")
{
    using moewb::tokenizer_detail::NormalForm;
    using moewb::tokenizer_detail::normalizeUnicode;
    CHECK(normalizeUnicode("cafe\xCC\x81", NormalForm::NFC) == "caf\xC3\xA9");
    CHECK(normalizeUnicode("caf\xC3\xA9", NormalForm::NFD) == "cafe\xCC\x81");
    CHECK(normalizeUnicode("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", NormalForm::NFC) == "\xEA\xB0\x81"); // 각
    CHECK(normalizeUnicode("\xEF\xAC\x81", NormalForm::NFKC) == "fi");
    CHECK(normalizeUnicode("\xE2\x84\xAB", NormalForm::NFC) == "\xC3\x85"); // Angstrom sign -> Å
    CHECK(normalizeUnicode("a\xCC\x81\xCC\xA8", NormalForm::NFC) == "\xC4\x85\xCC\x81"); // reordered, ą + acute
    CHECK(normalizeUnicode("plain ascii", NormalForm::NFKC) == "plain ascii");
}

TEST_CASE("Oniguruma patterns are translated for PCRE2")
{
    using moewb::tokenizer_detail::translateOnigPattern;
    const std::string s = translateOnigPattern("\\s+(?!\\S)");
    CHECK(s.find("\\x{3000}") != std::string::npos);
    CHECK(s.find("[^") != std::string::npos);
    CHECK(translateOnigPattern("[^\\r\\n\\p{L}]").find("\\p{L}\\x{") != std::string::npos);
    CHECK(translateOnigPattern("\\h") == "[0-9a-fA-F]");
    std::vector<moewb::tokenizer_detail::Match> matches;
    moewb::tokenizer_detail::Regex::onig("\\s+$", "test")->findAll("a  \nb  ", matches);
    REQUIRE(matches.size() == 2); // '$' is a line anchor, as in Ruby syntax
    CHECK(matches[0] == moewb::tokenizer_detail::Match{1, 3});
}

TEST_CASE("hostile tokenizer files fail with errors naming the file")
{
    SUBCASE("missing file")
    {
        checkThrowsNaming(fs::temp_directory_path() / "moewb_no_such_dir" / "tokenizer.json", "no such file");
    }
    SUBCASE("invalid JSON")
    {
        TempTokenizer t("{\"model\": [1, 2,");
        checkThrowsNaming(t.file(), "invalid JSON");
    }
    SUBCASE("not an object")
    {
        TempTokenizer t("[1, 2, 3]");
        checkThrowsNaming(t.file(), "not a tokenizer.json");
    }
    SUBCASE("unknown model type")
    {
        TempTokenizer t(olmoeWith("model", {{"type", "Unigram"}, {"vocab", nlohmann::json::array()}}));
        checkThrowsNaming(t.file(), "unsupported model type 'Unigram'");
    }
    SUBCASE("unknown pre-tokenizer type")
    {
        TempTokenizer t(olmoeWith("pre_tokenizer", {{"type", "BertPreTokenizer"}}));
        checkThrowsNaming(t.file(), "unsupported pre-tokenizer 'BertPreTokenizer'");
    }
    SUBCASE("unknown normalizer")
    {
        TempTokenizer t(olmoeWith("normalizer", {{"type", "Precompiled"}, {"precompiled_charsmap", "AAAA"}}));
        checkThrowsNaming(t.file(), "unsupported normalizer 'Precompiled'");
    }
    SUBCASE("unknown decoder")
    {
        TempTokenizer t(olmoeWith("decoder", {{"type", "CTC"}}));
        checkThrowsNaming(t.file(), "unsupported decoder 'CTC'");
    }
    SUBCASE("invalid regex")
    {
        TempTokenizer t(olmoeWith("pre_tokenizer", {{"type", "Split"},
                                                    {"pattern", {{"Regex", "(unclosed"}}},
                                                    {"behavior", "Isolated"},
                                                    {"invert", false}}));
        checkThrowsNaming(t.file(), "invalid regex '(unclosed'");
    }
    SUBCASE("\\C in a regex (one byte: pieces of invalid UTF-8)")
    {
        TempTokenizer t(olmoeWith("pre_tokenizer", {{"type", "Split"},
                                                    {"pattern", {{"Regex", "\\C"}}},
                                                    {"behavior", "Isolated"},
                                                    {"invert", false}}));
        checkThrowsNaming(t.file(), "invalid regex '\\C'");
    }
    SUBCASE("Metaspace replacement that is not one character")
    {
        for (const char* replacement : {"", "ab"}) {
            TempTokenizer t(olmoeWith("pre_tokenizer", {{"type", "Metaspace"},
                                                        {"replacement", replacement},
                                                        {"prepend_scheme", "always"},
                                                        {"split", false}}));
            checkThrowsNaming(t.file(), "Metaspace pre-tokenizer field 'replacement' must be one character");
        }
    }
    SUBCASE("steps that lengthen text, chained past any memory")
    {
        const nlohmann::json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
        const nlohmann::json replace = {{"type", "Replace"}, {"pattern", {{"Regex", ""}}}, {"content", "xxxxxxxx"}};
        const std::pair<const char*, nlohmann::json> cases[] = {
            {"normalizer", {{"type", "Sequence"}, {"normalizers", nlohmann::json::array({replace, replace, replace, replace})}}},
            {"normalizer", {{"type", "Sequence"}, {"normalizers", std::vector<nlohmann::json>(11, {{"type", "ByteLevel"}})}}},
            {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", std::vector<nlohmann::json>(40, byteLevel)}}},
            {"decoder", {{"type", "Sequence"}, {"decoders", nlohmann::json::array({replace, replace, replace, replace})}}},
        };
        for (const auto& [section, value] : cases) {
            CAPTURE(section);
            TempTokenizer t(olmoeWith(section, value));
            checkThrowsNaming(t.file(), "-fold is supported");
        }
        // NFKC, a Replace of one character by three bytes and ByteLevel, as real files chain them, load.
        const nlohmann::json real = {{"type", "Sequence"},
                                     {"normalizers", {{{"type", "NFKC"}},
                                                      {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}},
                                                      {{"type", "Lowercase"}}}}};
        CHECK_NOTHROW((void)Tokenizer::fromJson(olmoeWith("normalizer", real), "real.json"));
    }
    SUBCASE("catastrophic backtracking stops at the match limit, naming the file")
    {
        TempTokenizer t(olmoeWith("pre_tokenizer", {{"type", "Split"},
                                                    {"pattern", {{"Regex", "(a*)*\\d"}}},
                                                    {"behavior", "Isolated"},
                                                    {"invert", false}}));
        const Tokenizer tok = Tokenizer::fromFile(t.file());
        try {
            (void)tok.encode(std::string(1000, 'a'), false);
            FAIL("expected moewb::Error");
        } catch (const moewb::Error& e) {
            const std::string message = e.what();
            INFO(message);
            CHECK(message.find(t.file().string() + ": regex '(a*)*\\d' failed") != std::string::npos);
            CHECK(message.find("match limit") != std::string::npos);
        }
    }
    SUBCASE("post-processor ids outside 0..INT32_MAX")
    {
        for (const auto& id : {nlohmann::json(-1), nlohmann::json(4294967297ULL), nlohmann::json(1.5)}) {
            TempTokenizer t(olmoeWith("post_processor", {{"type", "RobertaProcessing"},
                                                         {"cls", {"<s>", id}},
                                                         {"sep", {"</s>", 2}}}));
            checkThrowsNaming(t.file(), "RobertaProcessing '<s>' has an invalid id");
        }
    }
    SUBCASE("merge outside the vocabulary")
    {
        auto json = readJson(familyDir("olmoe") / "tokenizer.json");
        json["model"]["merges"].push_back(nlohmann::json::array({"nosuchtoken", "x"}));
        TempTokenizer t(json.dump());
        checkThrowsNaming(t.file(), "'nosuchtoken', which is not in the vocabulary");
    }
    SUBCASE("vocab of the wrong type")
    {
        auto json = readJson(familyDir("olmoe") / "tokenizer.json");
        json["model"]["vocab"] = "oops";
        TempTokenizer t(json.dump());
        checkThrowsNaming(t.file(), "'vocab' must be an object");
    }
    SUBCASE("sequences nested too deep")
    {
        nlohmann::json normalizer = {{"type", "NFC"}};
        for (int i = 0; i < 100; ++i) normalizer = {{"type", "Sequence"}, {"normalizers", {normalizer}}};
        TempTokenizer t(olmoeWith("normalizer", normalizer));
        checkThrowsNaming(t.file(), "nested more than");
    }
    SUBCASE("Sequence steps, counted over all nesting levels")
    {
        // 31 levels of 1023 steps each: encoding recursed 31,713 steps deep and overflowed the stack.
        nlohmann::json pre = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
        for (int level = 0; level < 31; ++level) {
            std::vector<nlohmann::json> steps(1023, {{"type", "WhitespaceSplit"}});
            steps.push_back(pre);
            pre = {{"type", "Sequence"}, {"pretokenizers", steps}};
        }
        TempTokenizer t(olmoeWith("pre_tokenizer", pre));
        checkThrowsNaming(t.file(), "(at most 256 in all supported)");
    }
    SUBCASE("vocabulary ids far past its size")
    {
        auto json = readJson(familyDir("olmoe") / "tokenizer.json");
        json["model"]["vocab"]["zzz"] = 2'000'000'000;
        TempTokenizer t(json.dump());
        checkThrowsNaming(t.file(), "far beyond");
    }
    SUBCASE("broken tokenizer_config.json is reported against itself")
    {
        TempTokenizer t(readJson(familyDir("olmoe") / "tokenizer.json").dump());
        std::ofstream(t.dir / "tokenizer_config.json") << "{oops";
        try {
            (void)Tokenizer::fromFile(t.file());
            FAIL("expected moewb::Error");
        } catch (const moewb::Error& e) {
            CHECK(std::string(e.what()).find((t.dir / "tokenizer_config.json").string()) != std::string::npos);
        }
    }
}

TEST_CASE("fuzzer regression inputs and seeds yield tokens or moewb::Error, never a crash")
{
    const auto real = moewb::fuzz::loadRealTokenizers(moewb::test::sourceDir());
    moewb::test::forEachFuzzInput("tokenizer", [&](const fs::path&, const std::string& text) {
        try {
            moewb::fuzz::runTokenizerInput(text, real); // std::logic_error: an invariant broke
        } catch (const moewb::Error&) {
        }
    });
}
