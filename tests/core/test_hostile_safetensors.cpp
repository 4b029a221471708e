// Hostile safetensors files and checkpoint folders: every rule in shared/docs/checkpoints.md is
// broken once, and each error must name the file and the problem. Also: a full disk while writing
// (simulated with RLIMIT_FSIZE in a child process) leaves nothing behind, and every input the fuzzer
// ever crashed on (tests/data/fuzz-regressions/safetensors/) now only yields success or moewb::Error.
#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_header.h"

#include "support/errors.h"
#include "support/file_size_limit.h"
#include "support/fuzz_inputs.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace moewb;
using moewb::test::errorOf;
namespace fs = std::filesystem;

namespace {

using moewb::test::TempDir;

std::string le64(uint64_t n)
{
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i, n >>= 8)
        out[i] = static_cast<char>(n & 0xffu);
    return out;
}

void writeRaw(const fs::path& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

// A file made of a correct length prefix, `json`, and `dataBytes` bytes of data.
std::string craft(const std::string& json, size_t dataBytes)
{
    return le64(json.size()) + json + std::string(dataBytes, 'x');
}

// Opening `bytes` as model.safetensors fails with a message that names the file and contains `problem`.
void rejects(const std::string& bytes, const std::string& problem)
{
    TempDir dir;
    const fs::path path = dir.path / "model.safetensors";
    writeRaw(path, bytes);
    const std::string message = errorOf([&] { SafetensorsFile::open(path); });
    CAPTURE(message);
    CHECK(message.find(path.string() + ": ") == 0);
    CHECK(message.find(problem) != std::string::npos);
    // The same through a checkpoint folder.
    CHECK(errorOf([&] { Checkpoint::open(dir.path); }) == message);
}

std::string tensor(
    const std::string& name, const std::string& dtype, const std::string& shape, uint64_t begin, uint64_t end)
{
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":["
        + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

} // namespace

TEST_CASE("hostile: sizes and the length prefix")
{
    rejects("", "file is empty");
    rejects(std::string(7, '\0'), "file is 7 bytes, too short");
    rejects(le64(100'000'001) + "{}", "header length 100000001 exceeds the limit of 100000000 bytes");
    rejects(le64(~uint64_t{0}) + "{}", "exceeds the limit");
    rejects(le64(50) + "{}", "header length 50 runs past the end of the file (10 bytes");
    rejects(le64(0), "header is not valid JSON");
}

TEST_CASE("hostile: header text")
{
    rejects(craft("{\"a", 0), "header is not valid JSON");
    rejects(craft("{\"a\xff\":1}", 0), "header is not valid UTF-8 (byte 3");
    rejects(craft("{\"\xc0\xaf\":1}", 0), "not valid UTF-8"); // overlong '/'
    rejects(craft("{\"\xed\xa0\x80\":1}", 0), "not valid UTF-8"); // surrogate
    rejects(craft("[]", 0), "header is [], not a JSON object");
    rejects(craft("42", 0), "not a JSON object");
    rejects(craft("\"text\"", 0), "not a JSON object");
    rejects(craft("{} x", 0), "not valid JSON");
    {
        // nlohmann quotes the offending token; a huge one must not make a huge message.
        TempDir dir;
        writeRaw(dir.path / "long.safetensors", craft("{\"a\":\"" + std::string(100000, 'x') + "\x01\"}", 0));
        const std::string message = errorOf([&] { SafetensorsFile::open(dir.path / "long.safetensors"); });
        CHECK(message.find("header is not valid JSON: parse error at line 1") != std::string::npos);
        CHECK(message.size() < 600);
    }
    rejects(craft(std::string(100, '[') + std::string(100, ']'), 0), "nests JSON deeper than 32 levels");
    rejects(craft("{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}", 0), "nests JSON deeper");
}

TEST_CASE("hostile: duplicate names are detected, not silently resolved")
{
    rejects(craft("{" + tensor("w", "U8", "[2]", 0, 2) + "," + tensor("w", "U8", "[2]", 2, 4) + "}", 4),
        "header names 'w' twice");
    rejects(craft(R"({"w":{"dtype":"U8","dtype":"F32","shape":[2],"data_offsets":[0,2]}})", 2),
        "header has key 'dtype' twice inside 'w'");
    rejects(craft(R"({"__metadata__":{"a":"1","a":"2"}})", 0), "key 'a' twice inside '__metadata__'");
    rejects(craft(R"({"a":{"x":[{"k":1,"k":2}]}})", 0), "key 'k' twice inside 'a.x[]'");
}

TEST_CASE("hostile: a header of 200000 tiny objects is parsed in linear time")
{
    // nlohmann's callback parser rescans the parent object at every '}', which made this take
    // minutes (quadratic); the SAX-built DOM takes well under a second.
    std::string json = "{";
    for (int i = 0; i < 200000; ++i)
        json += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{}";
    json += "}";
    const auto start = std::chrono::steady_clock::now();
    rejects(craft(json, 0), "tensor 't0' has no 'dtype'");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
}

TEST_CASE("hostile: tensor descriptions")
{
    rejects(craft("{" + tensor("w", "F128", "[2]", 0, 2) + "}", 2), "tensor 'w' has unknown dtype \"F128\"");
    rejects(craft(R"({"w":{"dtype":7,"shape":[2],"data_offsets":[0,2]}})", 2),
        "tensor 'w' dtype is 7, not a string");
    rejects(craft("{" + tensor("w", "U8", "[2,-3]", 0, 2) + "}", 2),
        "tensor 'w' shape [2,-3] has a negative dimension");
    rejects(craft("{" + tensor("w", "U8", "[1.5]", 0, 2) + "}", 2), "holds 1.5, not an integer");
    rejects(craft("{" + tensor("w", "U8", "[\"2\"]", 0, 2) + "}", 2), "not an integer");
    rejects(craft("{" + tensor("w", "U8", "3", 0, 2) + "}", 2), "tensor 'w' shape is 3, not an array");
    rejects(craft("{" + tensor("w", "U8", "[9223372036854775808]", 0, 2) + "}", 2), "larger than 2^63-1");
    rejects(craft("{" + tensor("w", "U8", "[4294967296,4294967296,2]", 0, 2) + "}", 2),
        "shape [4294967296,4294967296,2] has more than 2^64 elements");
    rejects(craft("{" + tensor("w", "F32", "[4611686018427387904,2]", 0, 2) + "}", 2),
        "needs more than 2^64 bytes");
    rejects(
        craft("{" + tensor("w", "F4", "[3]", 0, 2) + "}", 2), "F4 [3] does not fill a whole number of bytes");
    rejects(craft(R"({"w":[1,2]})", 0), "tensor 'w' is described by [1,2], not an object");
    rejects(craft(R"({"w":{"shape":[2],"data_offsets":[0,2]}})", 2), "tensor 'w' has no 'dtype'");
    rejects(craft(R"({"w":{"dtype":"U8","data_offsets":[0,2]}})", 2), "tensor 'w' has no 'shape'");
    rejects(craft(R"({"w":{"dtype":"U8","shape":[2]}})", 2), "tensor 'w' has no 'data_offsets'");
}

TEST_CASE("hostile: data_offsets")
{
    rejects(craft("{" + tensor("a.weight", "BF16", "[3,2]", 0, 10) + "}", 10),
        "tensor 'a.weight' data_offsets [0,10] hold 10 bytes, but BF16 [3,2] needs 12");
    rejects(craft(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[0.0,2]}})", 2),
        "tensor 'w' data_offsets [0.0,2] must be two non-negative integers");
    rejects(craft(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":["0","2"]}})", 2),
        "two non-negative integers");
    rejects(
        craft(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[-2,0]}})", 2), "two non-negative integers");
    rejects(craft(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2,4]}})", 2), "not [begin, end]");
    rejects(craft(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":{"a":1}}})", 2), "not [begin, end]");
    rejects(craft(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[0,18446744073709551616]}})", 2),
        "two non-negative integers");
    rejects(craft("{" + tensor("w", "U8", "[0]", 2, 0) + "}", 2),
        "tensor 'w' data_offsets [2,0] end before they begin");
    rejects(craft("{" + tensor("w", "U8", "[2]", 2, 4) + "}", 4),
        "the first tensor 'w' starts at data offset 2, not 0");
    rejects(craft("{" + tensor("a", "U8", "[2]", 0, 2) + "," + tensor("b", "U8", "[2]", 3, 5) + "}", 5),
        "1 unused bytes between tensor 'a' (ends at 2) and tensor 'b' (starts at 3)");
    rejects(craft("{" + tensor("a", "U8", "[4]", 0, 4) + "," + tensor("b", "U8", "[2]", 2, 4) + "}", 4),
        "tensor 'b' data_offsets [2,4] overlap tensor 'a' [0,4]");
    rejects(craft("{" + tensor("a", "U8", "[2]", 0, 2) + "," + tensor("b", "U8", "[2]", 0, 2) + "}", 4),
        "overlap tensor 'a' [0,2]");
    rejects(craft("{" + tensor("w", "U8", "[8]", 0, 8) + "}", 5),
        "tensor 'w' data_offsets [0,8] reach past the end of the data section (5 bytes");
    rejects(craft("{" + tensor("w", "U8", "[2]", 0, 2) + "}", 6),
        "the data section holds 6 bytes but the tensors cover 2 (4 trailing bytes)");
    rejects(craft("{}", 1), "the data section holds 1 bytes but the tensors cover 0");
}

TEST_CASE("hostile: __metadata__")
{
    rejects(
        craft(R"({"__metadata__":{"format":1}})", 0), "__metadata__ value for 'format' is 1, not a string");
    rejects(craft(R"({"__metadata__":{"nested":{"a":"b"}}})", 0), "__metadata__ value for 'nested'");
    rejects(craft(R"({"__metadata__":["format","pt"]})", 0),
        "__metadata__ is [\"format\",\"pt\"], not an object");
    // Still accepted: null metadata, and unknown keys in a tensor entry (as the reference does).
    TempDir dir;
    writeRaw(dir.path / "ok.safetensors",
        craft(R"({"__metadata__":null,"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":[1]}})", 2));
    CHECK(SafetensorsFile::open(dir.path / "ok.safetensors")->tensors().size() == 1);
}

TEST_CASE("hostile: checkpoint folders and index files")
{
    TempDir dir;
    const std::vector<TensorToWrite> none;
    const std::byte data[4]{};
    const std::vector<TensorToWrite> ab
        = {{"a", DType::U8, {2}, {data, 2}}, {"b", DType::U8, {2}, {data + 2, 2}}};
    const fs::path index = dir.path / "model.safetensors.index.json";
    const std::string indexName = index.string();

    SUBCASE("nothing there")
    {
        CHECK(errorOf([&] { Checkpoint::open(dir.path / "nope"); }).find("nope: no such file or folder")
            != std::string::npos);
        CHECK(errorOf([&] { Checkpoint::open(dir.path); }).find("no weights found") != std::string::npos);
        writeRaw(dir.path / "config.json", "{}");
        CHECK(errorOf([&] {
            Checkpoint::open(dir.path / "config.json");
        }).find("config.json: not a .safetensors file or a checkpoint folder")
            != std::string::npos);
    }
    SUBCASE("a FIFO or a folder where a file should be")
    {
        REQUIRE(::mkfifo((dir.path / "model.safetensors").c_str(), 0600) == 0);
        CHECK(errorOf([&] { Checkpoint::open(dir.path); })
            == (dir.path / "model.safetensors").string() + ": not a regular file");
        fs::remove(dir.path / "model.safetensors");
        fs::create_directory(dir.path / "model.safetensors");
        CHECK(errorOf([&] { Checkpoint::open(dir.path); }).find("model.safetensors: not a regular file")
            != std::string::npos);
    }
    SUBCASE("several .safetensors and no index")
    {
        writeSafetensors(dir.path / "one.safetensors", {ab[0]});
        writeSafetensors(dir.path / "two.safetensors", {ab[1]});
        const std::string message = errorOf([&] { Checkpoint::open(dir.path); });
        CHECK(message.find(dir.path.string()
                  + ": 2 .safetensors files (one.safetensors, two.safetensors, ...) but "
                    "no model.safetensors.index.json")
            == 0);
    }
    SUBCASE("a shard listed in the index is missing")
    {
        writeSafetensors(dir.path / "model-00001-of-00002.safetensors", {ab[0]});
        writeRaw(index,
            R"({"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})");
        const std::string message = errorOf([&] { Checkpoint::open(dir.path); });
        CAPTURE(message);
        CHECK(message.find(
                  "shard 'model-00002-of-00002.safetensors' listed in " + indexName + " does not exist")
            != std::string::npos);
    }
    SUBCASE("the index maps a tensor to a shard that lacks it")
    {
        writeSafetensors(dir.path / "s1.safetensors", {ab[0]});
        writeRaw(index, R"({"weight_map":{"a":"s1.safetensors","ghost":"s1.safetensors"}})");
        const std::string message = errorOf([&] { Checkpoint::open(dir.path); });
        CHECK(message
            == indexName + ": tensor 'ghost' is mapped to shard 's1.safetensors', which does not contain it");
    }
    SUBCASE("a shard holds a tensor the index does not list")
    {
        writeSafetensors(dir.path / "s1.safetensors", ab);
        writeRaw(index, R"({"weight_map":{"a":"s1.safetensors"}})");
        const std::string message = errorOf([&] { Checkpoint::open(dir.path); });
        CHECK(message
            == (dir.path / "s1.safetensors").string() + ": tensor 'b' is not listed in " + indexName
                + " (the index and the shards disagree)");
    }
    SUBCASE("a tensor stored in two shards")
    {
        writeSafetensors(dir.path / "s1.safetensors", ab);
        writeSafetensors(dir.path / "s2.safetensors", {ab[1]});
        writeRaw(index, R"({"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})");
        CHECK(errorOf([&] { Checkpoint::open(dir.path); }).find("tensor 'b' is also stored here")
            != std::string::npos);
    }
    SUBCASE("malformed index files")
    {
        const auto check = [&](const std::string& text, const std::string& problem) {
            writeRaw(index, text);
            const std::string message = errorOf([&] { Checkpoint::open(dir.path); });
            CAPTURE(message);
            CHECK(message.find(indexName + ": ") == 0);
            CHECK(message.find(problem) != std::string::npos);
        };
        check("{", "index is not valid JSON");
        check("[]", "index is [], not a JSON object");
        check("{}", "index has no 'weight_map'");
        check(R"({"weight_map":[]})", "'weight_map' is [], not an object");
        check(R"({"weight_map":{"a":3}})", "weight_map entry for tensor 'a' is 3, not a file name");
        check(R"({"weight_map":{"a":"../etc/passwd"}})", "not a file name in the checkpoint folder");
        check(R"({"weight_map":{"a":"/etc/passwd"}})", "not a file name in the checkpoint folder");
        check(R"({"weight_map":{"a":".."}})", "not a file name in the checkpoint folder");
        check(R"({"weight_map":{"a":"x.safetensors","a":"y.safetensors"}})",
            "index has key 'a' twice inside 'weight_map'");
        check(R"({"weight_map":{}})", "weight_map lists no tensors");
        check(R"({"metadata":[],"weight_map":{"a":"x"}})", "'metadata' is [], not an object");
    }
    SUBCASE("a hostile shard is reported with the shard's name")
    {
        writeRaw(dir.path / "s1.safetensors", craft("{" + tensor("a", "U8", "[2]", 0, 3) + "}", 3));
        writeRaw(index, R"({"weight_map":{"a":"s1.safetensors"}})");
        CHECK(errorOf([&] {
            Checkpoint::open(dir.path);
        }).find((dir.path / "s1.safetensors").string() + ": tensor 'a' data_offsets [0,3] hold 3 bytes")
            == 0);
    }
}

using test::writeWithFileSizeLimit;

TEST_CASE("a full disk while writing leaves neither the target nor a temporary file")
{
    std::vector<std::byte> storage(64 * 1024, std::byte{7});
    SUBCASE("one file")
    {
        TempDir dir;
        const std::vector<TensorToWrite> tensors = {{"w", DType::U8, {65536}, storage}};
        const fs::path target = dir.path / "model.safetensors";
        const std::string message = writeWithFileSizeLimit(4096, [&] { writeSafetensors(target, tensors); });
        CAPTURE(message);
        CHECK(message.find(target.string() + ": write failed") == 0);
        CHECK(message.find("File too large") != std::string::npos);
        CHECK(dir.entries().empty());
    }
    SUBCASE("sharded: a later shard fails after earlier ones were complete")
    {
        TempDir dir;
        const std::span<const std::byte> all(storage);
        const std::vector<TensorToWrite> tensors = {{"a", DType::U8, {1000}, all.subspan(0, 1000)},
            {"b", DType::U8, {1000}, all.subspan(1000, 1000)},
            {"c", DType::U8, {30000}, all.subspan(2000, 30000)},
            {"d", DType::U8, {1000}, all.subspan(32000, 1000)}};
        WriteOptions options;
        options.shardSizeBytes = 2000;
        const std::string message
            = writeWithFileSizeLimit(16384, [&] { writeCheckpointWeights(dir.path, tensors, options); });
        CAPTURE(message);
        CHECK(message.find((dir.path / "model-00002-of-00003.safetensors").string() + ": write failed") == 0);
        CHECK(dir.entries().empty());
        // Without the limit the same call succeeds, so the failure above was the simulated disk.
        CHECK(writeCheckpointWeights(dir.path, tensors, options).size() == 4);
    }
}

TEST_CASE("every fuzzer regression input and seed yields success or moewb::Error, never a crash")
{
    TempDir dir;
    test::forEachFuzzInput("safetensors", [&](const fs::path& path, const std::string& bytes) {
        try {
            parseSafetensorsHeader(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())), "input");
        } catch (const Error&) {
        }
        try {
            parseSafetensorsIndex(bytes, "input");
        } catch (const Error&) {
        }
        try {
            SafetensorsFile::open(path);
        } catch (const Error&) {
        }
        // Also as the only shard of a checkpoint folder.
        writeRaw(dir.path / "model.safetensors", bytes);
        try {
            Checkpoint::open(dir.path);
        } catch (const Error&) {
        }
    });
}
