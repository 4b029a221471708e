// safetensors: bit-identical round trips for every dtype (single file and sharded), the written
// layout, unaligned data, Checkpoint resolution and identity, paging hints and atomic writes.
#include "core/io/atomic_file.h"
#include "core/io/dtype.h"
#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "support/paths.h"

#include <doctest/doctest.h>
#include "support/temp_dir.h"
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace moewb;
namespace fs = std::filesystem;

namespace {

using moewb::test::TempDir;

const DType kAllDTypes[] = {DType::Bool, DType::U8, DType::I8, DType::I16, DType::U16, DType::F16,
    DType::BF16, DType::I32, DType::U32, DType::F32, DType::F64, DType::I64, DType::U64, DType::F8_E4M3,
    DType::F8_E5M2, DType::F8_E8M0, DType::F4, DType::F6_E2M3, DType::F6_E3M2, DType::C64};

std::vector<std::byte> pattern(size_t n, unsigned seed)
{
    std::vector<std::byte> out(n);
    for (size_t i = 0; i < n; ++i)
        out[i] = static_cast<std::byte>((i * 131 + seed * 17 + (i >> 8)) & 0xffu);
    return out;
}

std::string readText(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeRaw(const fs::path& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

std::string le64(uint64_t n)
{
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i, n >>= 8)
        out[i] = static_cast<char>(n & 0xffu);
    return out;
}

bool same(std::span<const std::byte> a, const std::vector<std::byte>& b)
{
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// A set of tensors whose data lives in `storage`.
struct Tensors {
    std::vector<std::vector<std::byte>> storage;
    std::vector<TensorToWrite> list;
    void add(std::string name, DType dtype, std::vector<int64_t> shape)
    {
        uint64_t numel = 1;
        for (auto d : shape)
            numel *= static_cast<uint64_t>(d);
        storage.push_back(pattern(*dtypeBytes(dtype, numel), static_cast<unsigned>(storage.size())));
        // Spans are fixed up in finish() because storage may reallocate.
        list.push_back({std::move(name), dtype, std::move(shape), {}});
    }
    const std::vector<TensorToWrite>& finish()
    {
        for (size_t i = 0; i < list.size(); ++i)
            list[i].data = storage[i];
        return list;
    }
};

void checkSame(const SafetensorsFile& file, const Tensors& tensors)
{
    REQUIRE(file.tensors().size() == tensors.list.size());
    for (size_t i = 0; i < tensors.list.size(); ++i) {
        const auto& expected = tensors.list[i];
        CAPTURE(expected.name);
        const TensorInfo* info = file.find(expected.name);
        REQUIRE(info != nullptr);
        CHECK(info->dtype == expected.dtype);
        CHECK(info->shape == expected.shape);
        CHECK(same(file.bytes(*info), tensors.storage[i]));
    }
}

} // namespace

TEST_CASE("every dtype round-trips bit-identically through one file, with metadata")
{
    TempDir dir;
    Tensors tensors;
    for (const DType dtype : kAllDTypes)
        tensors.add(
            std::string("t.") + std::string(dtypeName(dtype)), dtype, {2, 4}); // 8 elements: F4/F6 whole
    tensors.add("scalar", DType::F32, {});
    tensors.add("empty", DType::BF16, {0, 5});
    tensors.add("wide", DType::F16, {3, 1, 7});
    const fs::path path = dir.path / "all.safetensors";
    writeSafetensors(path, tensors.finish(), {{"source", "unit test"}, {"note", "ümlaut ✓"}});
    CHECK(dir.entries() == std::vector<std::string>{"all.safetensors"}); // no temporary left

    const auto file = SafetensorsFile::open(path);
    checkSame(*file, tensors);
    CHECK(file->metadata().at("format") == "pt");
    CHECK(file->metadata().at("source") == "unit test");
    CHECK(file->metadata().at("note") == "ümlaut ✓");
    CHECK(file->find("scalar")->numel() == 1);
    CHECK(file->find("empty")->numel() == 0);
    CHECK(file->find("empty")->nbytes() == 0);
    CHECK(file->find("missing") == nullptr);
    CHECK(file->fileSize() == fs::file_size(path));
}

TEST_CASE("each dtype alone round-trips through its own file")
{
    TempDir dir;
    for (const DType dtype : kAllDTypes) {
        CAPTURE(dtypeName(dtype));
        Tensors tensors;
        tensors.add("w", dtype, {4, 6});
        const fs::path path = dir.path / (std::string(dtypeName(dtype)) + ".safetensors");
        writeSafetensors(path, tensors.finish());
        checkSame(*SafetensorsFile::open(path), tensors);
    }
}

TEST_CASE("written layout: 8-aligned data, padded header, given order, contiguous offsets")
{
    TempDir dir;
    Tensors tensors;
    tensors.add("zeta", DType::F32, {3});
    tensors.add("alpha", DType::U8, {5});
    tensors.add("mid", DType::BF16, {2, 2});
    const fs::path path = dir.path / "layout.safetensors";
    writeSafetensors(path, tensors.finish());
    const std::string raw = readText(path);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | static_cast<unsigned char>(raw[i]);
    CHECK(n % 8 == 0);
    const std::string header = raw.substr(8, n);
    CHECK(header.front() == '{');
    CHECK(header.find_last_not_of(' ') == header.rfind('}'));
    CHECK(header.find("\"__metadata__\":{\"format\":\"pt\"}") == 1);
    CHECK(header.find("zeta") < header.find("alpha"));
    CHECK(header.find("alpha") < header.find("mid"));
    const auto json = nlohmann::json::parse(header);
    CHECK(json["zeta"]["data_offsets"] == nlohmann::json::array({0, 12}));
    CHECK(json["alpha"]["data_offsets"] == nlohmann::json::array({12, 17}));
    CHECK(json["mid"]["data_offsets"] == nlohmann::json::array({17, 25}));
    CHECK(json["mid"]["dtype"] == "BF16");
    CHECK(raw.size() == 8 + n + 25);
    const auto file = SafetensorsFile::open(path);
    CHECK(file->headerSize() == n);
    CHECK(file->headerBytes().size() == 8 + n);
    CHECK(reinterpret_cast<uintptr_t>(file->bytes(*file->find("zeta")).data()) % 8 == 0);
}

TEST_CASE("a file whose header length is not a multiple of 8 reads correctly (unaligned data)")
{
    TempDir dir;
    // Hand-written, unpadded JSON, so that data starts at an odd offset.
    std::string data;
    const float f32[] = {1.5f, -2.25f, 3e-5f};
    const double f64[] = {3.141592653589793, -1e300};
    const uint16_t bf16[] = {0x3f80, 0xc049};
    data.append(reinterpret_cast<const char*>(f32), sizeof(f32));
    data.append(reinterpret_cast<const char*>(f64), sizeof(f64));
    data.append(reinterpret_cast<const char*>(bf16), sizeof(bf16));
    std::string json = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                       R"("b":{"dtype":"F64","shape":[2],"data_offsets":[12,28]},)"
                       R"("c":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]}})";
    if ((8 + json.size()) % 2 == 0)
        json += " ";
    const fs::path path = dir.path / "unaligned.safetensors";
    writeRaw(path, le64(json.size()) + json + data);

    const auto file = SafetensorsFile::open(path);
    const auto a = file->bytes(*file->find("a"));
    CHECK(reinterpret_cast<uintptr_t>(a.data()) % 2 == 1);
    float out[3];
    convertToFloat(DType::F32, a.data(), 3, out);
    CHECK(out[0] == 1.5f);
    CHECK(out[1] == -2.25f);
    CHECK(out[2] == 3e-5f);
    convertToFloat(DType::F64, file->bytes(*file->find("b")).data(), 2, out);
    CHECK(out[0] == static_cast<float>(3.141592653589793));
    CHECK(std::isinf(out[1]));
    convertToFloat(DType::BF16, file->bytes(*file->find("c")).data(), 2, out);
    CHECK(out[0] == 1.0f);
    CHECK(out[1] == -3.140625f);
    CHECK(file->metadata().empty());
}

TEST_CASE("JSON order of tensors is free; tensors() comes back in offset order")
{
    TempDir dir;
    const std::string json
        = R"({"second":{"dtype":"U8","shape":[2],"data_offsets":[3,5]},)"
          R"("__metadata__":{"k":"v"},"first":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})";
    const fs::path path = dir.path / "order.safetensors";
    writeRaw(path, le64(json.size()) + json + "abcde");
    const auto file = SafetensorsFile::open(path);
    REQUIRE(file->tensors().size() == 2);
    CHECK(file->tensors()[0].name == "first");
    CHECK(file->tensors()[1].name == "second");
    CHECK(file->metadata().at("k") == "v");
    const auto second = file->bytes(*file->find("second"));
    CHECK(std::string(reinterpret_cast<const char*>(second.data()), second.size()) == "de");
}

TEST_CASE("sharded write: greedy shards, index, and a bit-identical read back through Checkpoint")
{
    TempDir dir;
    Tensors tensors;
    const DType cycle[] = {DType::BF16, DType::F32, DType::U8, DType::F8_E4M3, DType::I64, DType::F4};
    for (int i = 0; i < 12; ++i)
        tensors.add("model.layers." + std::to_string(i) + ".w", cycle[i % 6], {8, 6});
    tensors.add("huge", DType::F64, {100}); // 800 bytes: larger than a shard, gets its own
    WriteOptions options;
    options.shardSizeBytes = 200;
    options.metadata = {{"producer", "moewb test"}};
    const auto written = writeCheckpointWeights(dir.path, tensors.finish(), options);

    REQUIRE(written.size() >= 4);
    const size_t shards = written.size() - 1;
    CHECK(written.back().filename() == "model.safetensors.index.json");
    for (size_t i = 0; i < shards; ++i) {
        char expected[64];
        std::snprintf(expected, sizeof expected, "model-%05zu-of-%05zu.safetensors", i + 1, shards);
        CHECK(written[i].filename() == expected);
        CHECK(fs::exists(written[i]));
    }
    CHECK(dir.entries().size() == written.size()); // nothing else, no temporaries

    const auto index = nlohmann::json::parse(readText(dir.path / "model.safetensors.index.json"));
    uint64_t total = 0;
    for (const auto& storage : tensors.storage)
        total += storage.size();
    CHECK(index["metadata"]["total_size"] == total);
    CHECK(index["weight_map"].size() == tensors.list.size());
    CHECK(index["weight_map"]["huge"] == written[shards - 1].filename().string());

    const auto checkpoint = Checkpoint::open(dir.path);
    CHECK(checkpoint->files().size() == shards);
    CHECK(checkpoint->totalBytes() == total);
    for (size_t i = 0; i < tensors.list.size(); ++i) {
        const auto& name = tensors.list[i].name;
        CAPTURE(name);
        REQUIRE(checkpoint->contains(name));
        CHECK(checkpoint->info(name).dtype == tensors.list[i].dtype);
        CHECK(checkpoint->info(name).shape == tensors.list[i].shape);
        CHECK(same(checkpoint->bytes(name), tensors.storage[i]));
        CHECK(checkpoint->fileOf(name).path().filename() == index["weight_map"][name].get<std::string>());
    }
    // Greedy: no shard except a single oversized tensor's exceeds the limit.
    for (const auto& file : checkpoint->files()) {
        uint64_t bytes = 0;
        for (const auto& info : file->tensors())
            bytes += info.nbytes();
        CHECK((bytes <= options.shardSizeBytes || file->tensors().size() == 1));
        CHECK(file->metadata().at("format") == "pt");
        CHECK(file->metadata().at("producer") == "moewb test");
    }
}

TEST_CASE("checkpoint weights below the shard size go into one model.safetensors, no index")
{
    TempDir dir;
    Tensors tensors;
    tensors.add("a", DType::F32, {4});
    tensors.add("b", DType::F16, {4});
    WriteOptions options;
    options.shardSizeBytes = 1000;
    const auto written = writeCheckpointWeights(dir.path, tensors.finish(), options);
    REQUIRE(written.size() == 1);
    CHECK(written[0] == dir.path / "model.safetensors");
    CHECK(dir.entries() == std::vector<std::string>{"model.safetensors"});
    checkSame(*SafetensorsFile::open(written[0]), tensors);
}

TEST_CASE("writeCheckpointWeights refuses a folder that already holds weights, and bad tensors")
{
    TempDir dir;
    Tensors tensors;
    tensors.add("a", DType::F32, {4});
    writeCheckpointWeights(dir.path, tensors.finish());
    try {
        writeCheckpointWeights(dir.path, tensors.list);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("already holds weights") != std::string::npos);
    }
    CHECK_THROWS_AS(writeCheckpointWeights(dir.path / "missing", tensors.list), Error);

    TempDir other;
    auto bad = tensors.list;
    bad[0].shape = {5};
    try {
        writeCheckpointWeights(other.path, bad);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("tensor 'a' has 16 bytes of data, but F32 [5] needs 20")
            != std::string::npos);
    }
    auto twice = tensors.list;
    twice.push_back(twice[0]);
    CHECK_THROWS_WITH_AS(writeSafetensors(other.path / "x.safetensors", twice),
        doctest::Contains("tensor 'a' is given twice"), Error);
    auto reserved = tensors.list;
    reserved[0].name = "__metadata__";
    CHECK_THROWS_AS(writeSafetensors(other.path / "x.safetensors", reserved), Error);
    CHECK_THROWS_WITH_AS(writeSafetensors(other.path / "x.safetensors", tensors.list, {{"format", "np"}}),
        doctest::Contains("format"), Error);
    CHECK(other.entries().empty());
}

TEST_CASE("Checkpoint::open resolves files and folders")
{
    TempDir dir;
    Tensors tensors;
    tensors.add("b.weight", DType::BF16, {2, 3});
    tensors.add("a.weight", DType::F32, {3});
    writeSafetensors(dir.path / "model.safetensors", tensors.finish());

    SUBCASE("a folder with model.safetensors")
    {
        const auto checkpoint = Checkpoint::open(dir.path);
        CHECK(checkpoint->directory() == dir.path);
        CHECK(checkpoint->names() == std::vector<std::string>{"a.weight", "b.weight"});
        CHECK(checkpoint->info("b.weight").shape == std::vector<int64_t>{2, 3});
        CHECK(checkpoint->totalBytes() == 12 + 12);
        CHECK_FALSE(checkpoint->contains("c"));
        CHECK_THROWS_WITH_AS(checkpoint->info("c"), doctest::Contains("tensor 'c' not found"), Error);
        CHECK_THROWS_WITH_AS(checkpoint->bytes("c"), doctest::Contains(dir.path.c_str()), Error);
    }
    SUBCASE("a .safetensors file given directly")
    {
        const auto checkpoint = Checkpoint::open(dir.path / "model.safetensors");
        CHECK(checkpoint->directory() == dir.path);
        CHECK(checkpoint->files().size() == 1);
    }
    SUBCASE("a folder with one differently named .safetensors file")
    {
        TempDir other;
        writeSafetensors(other.path / "weights.safetensors", tensors.list);
        const auto checkpoint = Checkpoint::open(other.path);
        CHECK(checkpoint->files().front()->path().filename() == "weights.safetensors");
    }
    SUBCASE("model.safetensors wins over an index, as in transformers")
    {
        writeRaw(
            dir.path / "model.safetensors.index.json", "{\"weight_map\": {\"x\": \"nowhere.safetensors\"}}");
        const auto checkpoint = Checkpoint::open(dir.path);
        CHECK(checkpoint->names().size() == 2);
    }
}

TEST_CASE("identityHash is stable, location-independent, and follows headers and sizes")
{
    TempDir one, two, three;
    Tensors tensors;
    tensors.add("w", DType::BF16, {4, 4});
    tensors.add("v", DType::F32, {2});
    writeSafetensors(one.path / "model.safetensors", tensors.finish());
    writeSafetensors(two.path / "model.safetensors", tensors.list);
    const std::string hash = Checkpoint::open(one.path)->identityHash();
    CHECK(hash.size() == 16);
    CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(Checkpoint::open(one.path)->identityHash() == hash);
    CHECK(Checkpoint::open(two.path)->identityHash() == hash);

    auto changed = tensors.list;
    changed[0].shape = {2, 8}; // same bytes, different header
    writeSafetensors(three.path / "model.safetensors", changed);
    CHECK(Checkpoint::open(three.path)->identityHash() != hash);

    // Same header, different file name: a different identity.
    fs::rename(three.path / "model.safetensors", three.path / "other.safetensors");
    writeSafetensors(three.path / "other.safetensors", tensors.list);
    CHECK(Checkpoint::open(three.path)->identityHash() != hash);
}

TEST_CASE("willNeed and release are hints: data stays readable")
{
    TempDir dir;
    Tensors tensors;
    tensors.add("big", DType::F32, {64, 1024}); // 256 KiB: spans whole pages
    tensors.add("small", DType::U8, {3});
    writeSafetensors(dir.path / "model.safetensors", tensors.finish());
    const auto checkpoint = Checkpoint::open(dir.path);
    const auto& file = checkpoint->fileOf("big");
    file.willNeed(*file.find("big"));
    CHECK(same(checkpoint->bytes("big"), tensors.storage[0]));
    checkpoint->release("big");
    checkpoint->release("small");
    file.release(*file.find("small"));
    CHECK(same(checkpoint->bytes("big"), tensors.storage[0]));
    CHECK(same(checkpoint->bytes("small"), tensors.storage[1]));
}

TEST_CASE("AtomicFile: commit renames into place, abandoning leaves nothing")
{
    TempDir dir;
    const fs::path target = dir.path / "out.bin";
    {
        AtomicFile file(target);
        file.write(std::string_view("hello"));
        CHECK(fs::exists(file.tempPath()));
        CHECK(file.tempPath().parent_path() == dir.path);
        CHECK_FALSE(fs::exists(target));
        file.commit();
        CHECK(file.written() == 5);
    }
    CHECK(readText(target) == "hello");
    {
        AtomicFile file(target);
        file.write(std::string_view("half"));
    } // destroyed without commit
    CHECK(readText(target) == "hello");
    CHECK(dir.entries() == std::vector<std::string>{"out.bin"});
    {
        AtomicFile file(target);
        file.write(std::string_view("replaced"));
        file.commit();
    }
    CHECK(readText(target) == "replaced");
    CHECK(dir.entries() == std::vector<std::string>{"out.bin"});
    CHECK_THROWS_WITH_AS(
        AtomicFile(dir.path / "no-such-folder" / "x"), doctest::Contains("no-such-folder"), Error);
}

TEST_CASE("AtomicFile keeps the replaced file's permissions and writes through a symlink")
{
    TempDir dir;
    const fs::path real = dir.path / "real.txt", link = dir.path / "link.txt";
    {
        std::ofstream(real) << "old";
    }
    fs::permissions(real, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    fs::create_symlink("real.txt", link);
    AtomicFile file(link);
    CHECK(file.destination() == dir.path / "real.txt");
    CHECK(file.tempPath().parent_path() == dir.path);
    file.write(std::string_view("new"));
    file.commit();
    CHECK(fs::is_symlink(fs::symlink_status(link)));
    std::ifstream in(real);
    std::string text;
    in >> text;
    CHECK(text == "new");
    CHECK(fs::status(real).permissions() == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    CHECK(dir.entries() == std::vector<std::string>{"link.txt", "real.txt"});
}

TEST_CASE("AtomicDirectory: a whole folder appears at once or not at all")
{
    TempDir dir;
    const fs::path target = dir.path / "export";
    {
        AtomicDirectory out(target);
        CHECK(out.path().parent_path() == dir.path);
        Tensors tensors;
        tensors.add("w", DType::F32, {2});
        writeCheckpointWeights(out.path(), tensors.finish());
        writeRaw(out.path() / "config.json", "{}");
        CHECK_FALSE(fs::exists(target));
        out.commit();
    }
    CHECK(fs::exists(target / "model.safetensors"));
    CHECK(fs::exists(target / "config.json"));
    CHECK(Checkpoint::open(target)->contains("w"));
    CHECK(dir.entries() == std::vector<std::string>{"export"});

    CHECK_THROWS_WITH_AS(AtomicDirectory{target}, doctest::Contains("already exists"), Error);
    {
        AtomicDirectory out(dir.path / "abandoned");
        writeRaw(out.path() / "config.json", "{}");
    }
    CHECK(dir.entries() == std::vector<std::string>{"export"});

    fs::create_directory(dir.path / "empty");
    {
        AtomicDirectory out(dir.path / "empty"); // an empty folder may be replaced
        writeRaw(out.path() / "a.txt", "a");
        out.commit();
    }
    CHECK(fs::exists(dir.path / "empty" / "a.txt"));
}

TEST_CASE("AtomicDirectory with replaceExisting swaps a non-empty folder only at commit")
{
    TempDir dir;
    const fs::path target = dir.path / "out";
    fs::create_directory(target);
    writeRaw(target / "old.txt", "old");
    {
        AtomicDirectory out(target, true);
        writeRaw(out.path() / "new.txt", "new");
        CHECK(fs::exists(target / "old.txt")); // untouched until commit
    }
    CHECK(fs::exists(target / "old.txt")); // abandoned: the old folder stays
    CHECK(dir.entries() == std::vector<std::string>{"out"});
    {
        AtomicDirectory out(target, true);
        writeRaw(out.path() / "new.txt", "new");
        out.commit();
    }
    CHECK(fs::exists(target / "new.txt"));
    CHECK_FALSE(fs::exists(target / "old.txt"));
    CHECK(dir.entries() == std::vector<std::string>{"out"}); // the old folder is gone, no temporaries
    writeRaw(dir.path / "file", "x");
    CHECK_THROWS_WITH_AS(AtomicDirectory(dir.path / "file", true), doctest::Contains("is not a folder"), Error);
}

TEST_CASE("CheckpointWeightsWriter streams in manifest order and leaves nothing when incomplete")
{
    TempDir dir;
    Tensors tensors;
    for (int i = 0; i < 6; ++i)
        tensors.add("t" + std::to_string(i), DType::F32, {10});
    const auto list = tensors.finish();
    std::vector<TensorEntry> manifest;
    for (const auto& t : list)
        manifest.push_back({t.name, t.dtype, t.shape});
    WriteOptions options;
    options.shardSizeBytes = 100; // two 40-byte tensors a shard
    {
        CheckpointWeightsWriter writer(dir.path, manifest, options);
        CHECK(writer.shards().size() == 3);
        CHECK(writer.next()->name == "t0");
        CHECK_THROWS_WITH_AS(writer.write("t1", list[1].data), doctest::Contains("where 't0' was expected"), Error);
        CHECK_THROWS_WITH_AS(writer.write("t0", list[1].data.first(8)), doctest::Contains("has 8 bytes"), Error);
        for (int i = 0; i < 3; ++i)
            writer.write(list[static_cast<size_t>(i)].name, list[static_cast<size_t>(i)].data);
        CHECK_THROWS_WITH_AS(writer.commit(), doctest::Contains("3 of 6 tensors written"), Error);
    }
    CHECK(dir.entries().empty()); // the first shard and half of the second are gone
    CheckpointWeightsWriter writer(dir.path, manifest, options);
    for (const auto& t : list)
        writer.write(t.name, t.data);
    CHECK(writer.next() == nullptr);
    CHECK(writer.commit().size() == 4);
    const auto checkpoint = Checkpoint::open(dir.path);
    for (size_t i = 0; i < list.size(); ++i)
        CHECK(same(checkpoint->bytes(list[i].name), tensors.storage[i]));
}

TEST_CASE("files written by the reference library (tests/reference/golden) re-write byte-identically")
{
    // The golden checkpoints were written by Python safetensors (save_file / save_pretrained).
    // Given the tensors in the same order, our writer must produce the very same bytes: same JSON
    // layout, same __metadata__, same padding.
    const fs::path golden = test::referenceDir() / "golden";
    if (!fs::is_directory(golden))
        return;
    TempDir dir;
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(golden)) {
        if (entry.path().extension() != ".safetensors")
            continue;
        CAPTURE(entry.path().string());
        ++files;
        const auto file = SafetensorsFile::open(entry.path());
        std::vector<TensorToWrite> tensors;
        for (const auto& info : file->tensors())
            tensors.push_back({info.name, info.dtype, info.shape, file->bytes(info)});
        const fs::path copy = dir.path / entry.path().filename();
        writeSafetensors(copy, tensors, file->metadata());
        CHECK(readText(copy) == readText(entry.path()));
        CHECK(Checkpoint::open(copy)->identityHash() == Checkpoint::open(entry.path())->identityHash());
    }
    MESSAGE(files << " reference files compared");
}
