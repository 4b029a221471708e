// Session files: round trips of every section, atomic saving, damaged/truncated/newer files,
// staleness, and "reopen recomputes nothing" through the compute counter.
#include "core/io/error.h"
#include "core/io/version.h"
#include "core/pipeline/compute_counter.h"
#include "core/session/session.h"

#include <doctest/doctest.h>
#include "support/errors.h"
#include "support/file_size_limit.h"
#include "support/temp_dir.h"
#include <hdf5.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

using namespace moewb;
using moewb::test::errorOf;
namespace fs = std::filesystem;

namespace {

using moewb::test::TempDir;

Array<double> table(int64_t rows, int64_t cols, double seed)
{
    Array<double> a{{rows, cols}, {}};
    for (int64_t i = 0; i < rows * cols; ++i)
        a.data.push_back(std::sin(seed + 0.37 * static_cast<double>(i)) * 1e3);
    return a;
}

template <typename T> Array<T> ramp(std::vector<int64_t> shape, T step)
{
    Array<T> a{std::move(shape), {}};
    for (int64_t i = 0; i < a.numel(); ++i)
        a.data.push_back(static_cast<T>(static_cast<T>(i % 251) * step));
    return a;
}

Plan prunePlan()
{
    return Plan{"prune 25%", "moe-i2", {{"rho", 0.25}},
        {RemoveExperts{1, {0, 3}},
            SparsifyMatrix{1, 2, Proj::Gate, "2:4", "masks/layer01/expert02/gate", 100}}};
}

// A session with every section filled.
Session fullSession()
{
    Session s;
    s.setSource({"/models/qwen", R"({"model_type":"qwen2_moe","num_experts":8})", "model-hash-A"});
    s.setCalibration({"/data/calib.txt", 16, 128, 0xFFFFFFFFFFFFFFF1ull, "data-hash-1"});
    s.setRouterStats({{1, 2, 3}, table(3, 8, 1), table(3, 8, 2), table(3, 8, 3), {}});
    ImportanceTables imp{{1, 2, 3}, table(3, 8, 4), {1.5, std::numeric_limits<double>::infinity(), 0.25}, {}};
    s.setImportance(imp);
    s.setAllocation({{1, 2, 3}, {2, 0, 3}, {0, 0, 1}, 0.3125, 5, {}});
    LayerSearch search;
    search.layer = 2;
    search.pruneCount = 2;
    search.evaluations = 321;
    search.parameters = {{"N", 100}, {"G", 3}, {"seed", 5}};
    search.bestFitness = {3.0, 2.5, 2.0};
    search.meanFitness = {4.0, 3.5, 3.0};
    search.worstFitness = {9.0, 8.0, std::nan("")};
    search.bestSets = {{0, 1}, {0, 5}, {5, 7}};
    search.candidates = {{{5, 7}, 2.0}, {{0, 5}, 2.5}, {{1, 7}, 2.75}};
    s.setSearch(search);
    search.layer = 3;
    search.exhaustive = true;
    search.bestFitness = search.meanFitness = search.worstFitness = {};
    search.bestSets = {};
    s.setSearch(search);
    s.setBlockSearch(
        {3, 2, {{{1, 2}, {0, 2}, {9, 8, 7, 6, 5, 4, 3, 2, 1}}, {{3}, {1}, {0.5, 0.25, 0.125}}}, {}});
    s.setPlan(prunePlan());
    s.setPlan(Plan{"drop/blocks \"quoted\"", "block-drop", {}, {DropBlock{2}}});
    s.setEvaluation({"eval prune", "prune 25%", {{"perplexity", 12.5}, {"kl", 0.01}, {"tokens_per_s", NAN}},
        {{"tasks", {"hellaswag"}}}, {}});
    s.provenance().parameters = {{"device", "cpu"}, {"threads", 2}};
    s.provenance().timings = {{"importance", 12.25}, {"search", 99.5}};
    s.putActivation("layer_01/moe_input", ramp<float>({40, 64}, 0.5f));
    s.putActivationBf16("layer_02/moe_input", ramp<uint16_t>({8, 16}, uint16_t{3}));
    s.putTensor("masks/layer01/expert02/gate", ramp<uint8_t>({32, 64}, uint8_t{1}));
    s.putTensor("delta/up", ramp<double>({4, 4}, 0.25));
    s.putTensor("ids", ramp<int32_t>({7}, 2));
    s.putTensor("big", ramp<int64_t>({3}, int64_t{1} << 40));
    return s;
}

// The same doubles bit for bit (NaN != NaN, so tables with NaN compare by bytes); empty vectors may
// hold null data pointers, which memcmp must not be given (UBSan in the asan preset).
bool sameBits(const std::vector<double>& a, const std::vector<double>& b)
{
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

void checkSameContent(const Session& a, const Session& b)
{
    CHECK((a.source() == b.source()));
    CHECK((a.calibration() == b.calibration()));
    CHECK((a.routerStats() == b.routerStats()));
    // NaN != NaN, so tables with NaN compare by bytes.
    REQUIRE(a.importance().has_value() == b.importance().has_value());
    if (a.importance()) {
        CHECK(a.importance()->expertLoss == b.importance()->expertLoss);
        CHECK(sameBits(a.importance()->layerImportance, b.importance()->layerImportance));
    }
    CHECK((a.allocation() == b.allocation()));
    REQUIRE(a.searches().size() == b.searches().size());
    for (const auto& [layer, s] : a.searches()) {
        const LayerSearch& t = b.searches().at(layer);
        CHECK((s.candidates == t.candidates));
        CHECK(s.bestSets == t.bestSets);
        CHECK(s.exhaustive == t.exhaustive);
        CHECK(s.parameters == t.parameters);
        CHECK(s.stamp == t.stamp);
        CHECK(sameBits(s.worstFitness, t.worstFitness));
    }
    CHECK((a.blockSearch() == b.blockSearch()));
    CHECK((a.plans() == b.plans()));
    REQUIRE(a.evaluations().size() == b.evaluations().size());
    for (const auto& [name, e] : a.evaluations()) {
        const Evaluation& f = b.evaluations().at(name);
        CHECK(e.plan == f.plan);
        CHECK(e.details == f.details);
        CHECK(e.stamp == f.stamp);
        REQUIRE(e.metrics.size() == f.metrics.size());
        for (const auto& [k, v] : e.metrics)
            CHECK(std::memcmp(&v, &f.metrics.at(k), sizeof v) == 0);
    }
    CHECK(a.activationNames() == b.activationNames());
    for (const std::string& n : a.activationNames())
        CHECK(a.activation(n) == b.activation(n));
    CHECK(a.tensorNames() == b.tensorNames());
    CHECK(
        a.tensor<uint8_t>("masks/layer01/expert02/gate") == b.tensor<uint8_t>("masks/layer01/expert02/gate"));
    CHECK(a.tensor<double>("delta/up") == b.tensor<double>("delta/up"));
    CHECK(a.tensor<int32_t>("ids") == b.tensor<int32_t>("ids"));
    CHECK(a.tensor<int64_t>("big") == b.tensor<int64_t>("big"));
}

} // namespace

TEST_CASE("every section survives save and reopen")
{
    TempDir dir;
    const fs::path file = dir.path / "S.h5";
    Session original = fullSession();
    original.save(file);
    CHECK(dir.entries() == std::vector<std::string>{"S.h5"}); // no temporary left behind

    const Session reopened = Session::open(file);
    CHECK(reopened.schemaVersion() == Session::kSchemaVersion);
    CHECK(reopened.created() == original.created());
    CHECK(reopened.provenance().savedWith == version());
    CHECK(reopened.provenance().parameters == original.provenance().parameters);
    CHECK(reopened.provenance().timings == original.provenance().timings);
    checkSameContent(original, reopened);
    // Stamps were filled from the source and calibration current when the results were set.
    CHECK(reopened.importance()->stamp == CacheStamp{"model-hash-A", "data-hash-1"});
    CHECK(reopened.allocation()->counts == std::vector<int>{2, 0, 3});
    CHECK(reopened.allocation()->stamp == CacheStamp{"model-hash-A", "data-hash-1"});
    CHECK(reopened.plans().at("prune 25%").stamp == CacheStamp{"model-hash-A", ""});
    CHECK(reopened.arrayInfo("activations/layer_02/moe_input")->type == ElementType::BF16);
    CHECK(reopened.activationBf16("layer_02/moe_input") == ramp<uint16_t>({8, 16}, uint16_t{3}));
    CHECK(reopened.activation("layer_02/moe_input").data[1]
        == std::bit_cast<float>(uint32_t{3} << 16)); // exact widening
    CHECK(reopened.missingTensors(prunePlan()).empty());
    CHECK_NOTHROW(reopened.verify());

    // Activations are chunked and deflate-compressed, everything non-empty carries a checksum.
    {
        const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        const hid_t ds = H5Dopen2(f, "/activations/layer_01/moe_input", H5P_DEFAULT);
        const hid_t dcpl = H5Dget_create_plist(ds);
        CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED);
        CHECK(H5Pall_filters_avail(dcpl) > 0);
        std::vector<H5Z_filter_t> filters;
        for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
            unsigned flags = 0;
            size_t n = 0;
            filters.push_back(
                H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr, nullptr));
        }
        CHECK(filters
            == std::vector<H5Z_filter_t>{H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE, H5Z_FILTER_FLETCHER32});
        H5Pclose(dcpl);
        H5Dclose(ds);
        H5Fclose(f);
    }

    // Saving a reopened session copies its arrays from the old file (they are not in memory).
    Session again = Session::open(file);
    again.save(dir.path / "copy.h5");
    again.save(); // and once more onto itself
    checkSameContent(original, Session::open(dir.path / "copy.h5"));
    CHECK(dir.entries() == std::vector<std::string>{"S.h5", "copy.h5"});
}

TEST_CASE("arrays are read on demand, and a file replaced behind the session's back is noticed")
{
    TempDir dir;
    const fs::path file = dir.path / "S.h5";
    fullSession().save(file);
    const Session s = Session::open(file);
    Session other = fullSession();
    other.putActivation("layer_01/moe_input", ramp<float>({4, 4}, 2.f));
    other.save(dir.path / "other.h5");
    fs::rename(dir.path / "other.h5", file);
    CHECK(
        errorOf([&] { (void)s.activation("layer_01/moe_input"); }).find("changed on disk since it was opened")
        != std::string::npos);
}

TEST_CASE("an empty session round-trips")
{
    TempDir dir;
    Session s;
    s.save(dir.path / "empty.h5");
    const Session r = Session::open(dir.path / "empty.h5");
    CHECK_FALSE(r.source().has_value());
    CHECK(r.plans().empty());
    CHECK(r.activationNames().empty());
    CHECK(r.provenance().createdWith == version());
}

TEST_CASE("a failed save leaves neither a temporary nor a changed target")
{
    TempDir dir;
    const fs::path file = dir.path / "S.h5";
    Session s = fullSession();
    s.save(file);
    const auto sizeBefore = fs::file_size(file);
    // A table whose data does not fill its shape fails half-way through writing.
    s.setRouterStats({{1}, Array<double>{{1, 8}, {1.0}}, table(1, 8, 0), table(1, 8, 0), {}});
    CHECK(errorOf([&] { s.save(file); }).find("router_stats/selection_frequency") != std::string::npos);
    CHECK(dir.entries() == std::vector<std::string>{"S.h5"});
    CHECK(fs::file_size(file) == sizeBefore);
    checkSameContent(fullSession(), Session::open(file));
    CHECK(errorOf([&] {
        Session().save(dir.path / "missing-folder" / "x.h5");
    }).find("cannot create temporary file")
        != std::string::npos);
    CHECK(errorOf([&] { Session().save(); }).find("not been saved yet") != std::string::npos);
}

TEST_CASE("a save that runs out of space fails cleanly: no temporary, the process ends normally")
{
    TempDir dir;
    const fs::path file = dir.path / "S.h5";
    Session s = fullSession();
    s.save(file);
    const auto sizeBefore = fs::file_size(file);
    // 4 MiB of noise (deflate gains little) that cannot be written past 1 MiB, as on a full disk.
    Array<float> noise{{1024, 1024}, {}};
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> uniform(-1, 1);
    for (int i = 0; i < 1024 * 1024; ++i)
        noise.data.push_back(uniform(rng));
    s.putActivation("layer_09/noise", noise);
    // The child ends through exit(): HDF5's shutdown there crashed (SIGSEGV in H5F__close_cb) on the
    // id of the temporary whose close had failed.
    const std::string message = test::writeWithFileSizeLimit(
        1 << 20,
        [&] {
            const std::string error = errorOf([&] { s.save(file); });
            // The session is still usable: the unsaved array is in memory and the file on disk opens.
            if (s.activation("layer_09/noise").data != noise.data || Session::open(file).plans().size() != 2)
                fail("the session did not survive the failed save");
            fail("{}", error);
        },
        true);
    CHECK(message.find(file.string() + ": cannot") == 0);
    CHECK(dir.entries() == std::vector<std::string>{"S.h5"});
    CHECK(fs::file_size(file) == sizeBefore);
    checkSameContent(fullSession(), Session::open(file));
}

TEST_CASE("saving keeps the file's permissions and a symlink")
{
    TempDir dir;
    const fs::path real = dir.path / "real.h5", link = dir.path / "link.h5";
    Session s = fullSession();
    s.save(real);
    fs::permissions(real, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    fs::create_symlink("real.h5", link);
    s.save(link);
    CHECK(fs::is_symlink(fs::symlink_status(link)));
    CHECK(fs::status(real).permissions()
          == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    CHECK(dir.entries() == std::vector<std::string>{"link.h5", "real.h5"});
    checkSameContent(fullSession(), Session::open(real));
}

TEST_CASE("bad array names and shapes are refused when put")
{
    Session s;
    CHECK(errorOf([&] { s.putActivation("a//b", ramp<float>({2}, 1.f)); }).find("invalid array name")
        != std::string::npos);
    CHECK(errorOf([&] { s.putActivation("../x", ramp<float>({2}, 1.f)); }).find("invalid array name")
        != std::string::npos);
    CHECK(errorOf([&] {
        s.putActivation("x", Array<float>{{3}, {1.f}});
    }).find("do not fill")
        != std::string::npos);
    s.putActivation("a/b", ramp<float>({2}, 1.f));
    CHECK(errorOf([&] { s.putActivation("a", ramp<float>({2}, 1.f)); }).find("clashes") != std::string::npos);
    CHECK(
        errorOf([&] { (void)s.tensor<float>("nope"); }).find("no tensor named 'nope'") != std::string::npos);
    s.putTensor("m", ramp<uint8_t>({2}, uint8_t{1}));
    CHECK(errorOf([&] { (void)s.tensor<float>("m"); }).find("holds u8 elements") != std::string::npos);
    CHECK(s.missingTensors(prunePlan()) == std::vector<std::string>{"masks/layer01/expert02/gate"});
}

namespace {

void setRootAttr(const fs::path& file, const char* name, int64_t value)
{
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t a = H5Aopen_by_name(f, "/", name, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(a >= 0);
    CHECK(H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0);
    H5Aclose(a);
    H5Fclose(f);
}

std::vector<char> readBytes(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& file, const std::vector<char>& bytes)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace

TEST_CASE("a newer schema version is refused with a clear message")
{
    TempDir dir;
    const fs::path file = dir.path / "S.h5";
    fullSession().save(file);
    setRootAttr(file, "schema_version", 7);
    CHECK(errorOf([&] { Session::open(file); })
        == file.string()
            + ": session schema version 7 is newer than this build supports (1); update MoE Workbench");
}

TEST_CASE("files that are not sessions are refused by name")
{
    TempDir dir;
    CHECK(errorOf([&] { Session::open(dir.path / "none.h5"); })
        == (dir.path / "none.h5").string() + ": no such session file");
    writeBytes(dir.path / "empty.h5", {});
    CHECK(errorOf([&] { Session::open(dir.path / "empty.h5"); }).find("empty.h5: the session file is empty")
        != std::string::npos);
    writeBytes(dir.path / "text.h5", std::vector<char>(4096, 'x'));
    CHECK(errorOf([&] { Session::open(dir.path / "text.h5"); }).find("text.h5: cannot open the session file")
        != std::string::npos);
    const hid_t f = H5Fcreate((dir.path / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    CHECK(errorOf([&] { Session::open(dir.path / "other.h5"); })
        == (dir.path / "other.h5").string() + ": not a MoE Workbench session file");
}

TEST_CASE("a truncated session file is an error naming the file")
{
    TempDir dir;
    const fs::path file = dir.path / "S.h5";
    fullSession().save(file);
    const std::vector<char> bytes = readBytes(file);
    for (size_t keep : {bytes.size() / 2, bytes.size() - 1, size_t{100}}) {
        writeBytes(file, {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)});
        const std::string message = errorOf([&] { Session::open(file).verify(); });
        CAPTURE(keep);
        CHECK(message.find(file.string() + ": ") == 0);
        CHECK(message.find("truncated") != std::string::npos);
    }
}

TEST_CASE("damaged bytes anywhere give an error or the same content, never other content")
{
    TempDir dir;
    const fs::path good = dir.path / "good.h5";
    const fs::path bad = dir.path / "bad.h5";
    const Session reference = fullSession();
    Session(fullSession()).save(good);
    const std::vector<char> bytes = readBytes(good);
    int errors = 0, same = 0;
    // Damage 8 bytes at a time at offsets spread over the file (superblock, headers, heaps, chunks).
    for (size_t offset = 0; offset + 8 <= bytes.size(); offset += 61) {
        std::vector<char> damaged = bytes;
        for (size_t i = 0; i < 8; ++i)
            damaged[offset + i] = static_cast<char>(damaged[offset + i] ^ 0x5A);
        writeBytes(bad, damaged);
        CAPTURE(offset);
        try {
            const Session s = Session::open(bad);
            s.verify();
            checkSameContent(reference, s); // unused bytes (free space, padding) may be hit
            ++same;
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(bad.string() + ": ") == 0);
            ++errors;
        }
    }
    MESSAGE(errors << " damaged copies refused, " << same << " read back unchanged");
    CHECK(errors > 0);
}

TEST_CASE("staleness: a different model or calibration set is reported, not used")
{
    const Session s = fullSession();
    CHECK(s.checkCompatibility("model-hash-A", "data-hash-1").ok());

    const CompatibilityReport data = s.checkCompatibility("model-hash-A", "data-hash-2");
    CHECK(data.dataChanged);
    CHECK_FALSE(data.modelChanged);
    for (const char* section : {"router_stats", "importance", "allocation", "search/layer_002", "search/layer_003",
             "blocks", "activations/layer_01/moe_input", "activations/layer_02/moe_input"})
        CHECK_MESSAGE(data.isStale(section), section);
    CHECK(data.isStale("search"));
    CHECK_FALSE(data.isStale("plans")); // plans, evaluations and tensors depend on the model only
    CHECK_FALSE(data.isStale("evaluations"));
    CHECK_FALSE(data.isStale("tensors"));

    const CompatibilityReport model = s.checkCompatibility("model-hash-B", "data-hash-1");
    CHECK(model.modelChanged);
    CHECK(model.isStale("plans/prune 25%"));
    CHECK(model.isStale("evaluations/eval prune"));
    CHECK(model.isStale("tensors/masks/layer01/expert02/gate"));
    CHECK(model.isStale("importance"));
    CHECK(model.describe().find("The model differs") == 0);

    // Another model is refused outright, naming the file and both models; the same model passes, and
    // a session without a source accepts any.
    TempDir dir;
    Session saved = fullSession();
    saved.save(dir.path / "S.h5");
    const std::string refused = errorOf([&] { saved.requireModel("model-hash-B", "/models/mixtral"); });
    CHECK(refused.find("/models/mixtral: not the checkpoint " + (dir.path / "S.h5").string()
                       + " was made from, which is /models/qwen (identity hash model-hash-A; this one model-hash-B)")
          == 0);
    CHECK(refused.find("use another session file") != std::string::npos);
    saved.requireModel("model-hash-A", "/elsewhere/qwen");
    Session().requireModel("model-hash-B", "/models/mixtral");

    Session copy = fullSession();
    copy.dropStale(data);
    CHECK_FALSE(copy.importance().has_value());
    CHECK_FALSE(copy.allocation().has_value());
    CHECK(copy.searches().empty());
    CHECK(copy.activationNames().empty());
    CHECK(copy.plans().size() == 2);
    CHECK(copy.checkCompatibility("model-hash-A", "data-hash-2").ok());
}

namespace {

// A stand-in for a stage: computes expert importance unless the session holds a fresh table.
const ImportanceTables& importanceStage(Session& session, const std::string& model, const std::string& data)
{
    if (!session.importance() || session.checkCompatibility(model, data).isStale("importance")) {
        countCompute("importance");
        ImportanceTables t{{1, 2}, table(2, 8, 0.125), {1.0 / 3.0, std::nextafter(2.0, 3.0)}, {}};
        session.setImportance(std::move(t));
    }
    return *session.importance();
}

} // namespace

TEST_CASE("a session written, closed and reopened recomputes nothing")
{
    TempDir dir;
    const fs::path file = dir.path / "S.h5";
    resetComputeCounts();
    ImportanceTables first;
    {
        Session s;
        s.setSource({"/m", "{}", "model-1"});
        s.setCalibration({"/c", 4, 16, 1, "data-1"});
        first = importanceStage(s, "model-1", "data-1");
        importanceStage(s, "model-1", "data-1");
        CHECK(computeCount("importance") == 1);
        s.save(file);
    }
    Session reopened = Session::open(file);
    const ImportanceTables& again = importanceStage(reopened, "model-1", "data-1");
    CHECK(computeCount("importance") == 1);
    REQUIRE(again.expertLoss.data.size() == first.expertLoss.data.size());
    CHECK(std::memcmp(again.expertLoss.data.data(), first.expertLoss.data.data(),
              first.expertLoss.data.size() * sizeof(double))
        == 0);
    CHECK(std::memcmp(again.layerImportance.data(), first.layerImportance.data(), 2 * sizeof(double)) == 0);
    CHECK(again == first);

    // Other calibration data: the cached table is stale and the stage computes again.
    reopened.setCalibration({"/c2", 4, 16, 1, "data-2"});
    importanceStage(reopened, "model-1", "data-2");
    CHECK(computeCount("importance") == 2);
    CHECK(computeCounts().at("importance") == 2);
}

TEST_CASE("sessions on two threads at once do not trip over HDF5")
{
    TempDir dir;
    auto work = [&](int id) {
        for (int i = 0; i < 5; ++i) {
            const fs::path file = dir.path / ("t" + std::to_string(id) + ".h5");
            Session s = fullSession();
            s.save(file);
            const Session r = Session::open(file);
            CHECK(r.tensor<double>("delta/up") == s.tensor<double>("delta/up"));
        }
    };
    std::thread a(work, 1), b(work, 2);
    a.join();
    b.join();
}

TEST_CASE("every session call leaves its thread's HDF5 error stack empty, failures included")
{
    // HDF5 keeps an error stack per thread; entries left there when a thread ends pin HDF5's error
    // messages and the library loops at exit ("HDF5: infinite loop closing library": the GUI's worker
    // thread did this). So after each call, failed ones included, the calling thread's stack is empty.
    TempDir dir;
    const fs::path good = dir.path / "good.h5";
    const fs::path truncated = dir.path / "truncated.h5";
    const fs::path other = dir.path / "other.h5";
    std::vector<std::pair<std::string, ssize_t>> left;
    auto after = [&](const std::string& what, const std::function<void()>& call) {
        try {
            call();
        } catch (const Error&) {
        }
        left.emplace_back(what, H5Eget_num(H5E_DEFAULT));
    };
    std::thread worker([&] {
        after("save", [&] { fullSession().save(good); });
        const std::vector<char> bytes = readBytes(good);
        writeBytes(truncated, {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2)});
        after("open", [&] { Session::open(good).verify(); });
        after("read", [&] { (void)Session::open(good).tensor<double>("delta/up"); });
        after("missing array", [&] { (void)Session::open(good).tensor<double>("delta/none"); });
        after("truncated", [&] { Session::open(truncated).verify(); });
        writeBytes(other, std::vector<char>(4096, 'x'));
        after("not HDF5", [&] { Session::open(other); });
    });
    worker.join();
    for (const auto& [what, n] : left) {
        CAPTURE(what);
        CHECK(n == 0);
    }
}
