// Session: opening, atomic saving and on-demand array reads. Section formats: session_sections.cpp.
#include "core/session/session.h"

#include "core/io/atomic_file.h"
#include "core/io/error.h"
#include "core/io/version.h"
#include "core/session/h5_util.h"
#include "core/session/session_arrays.h"
#include "core/session/session_sections.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace moewb {
namespace {

constexpr const char* kFormat = "moewb-session";

std::string nowUtc()
{
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

void syncPath(const fs::path& path, bool directory, const std::string& display)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
    if (fd < 0)
        fail("{}: cannot open '{}' to sync it: {}", display, path.string(), std::strerror(errno));
    int result = 0;
    while ((result = ::fsync(fd)) != 0 && errno == EINTR) { }
    const int savedErrno = errno;
    ::close(fd);
    // Some filesystems refuse fsync on folders; the rename has still happened.
    if (result != 0 && !(directory && (savedErrno == EINVAL || savedErrno == ENOTSUP)))
        fail("{}: fsync of '{}' failed: {}", display, path.string(), std::strerror(savedErrno));
}

} // namespace

Session::Session()
    : m_arrays(std::make_unique<ArrayStore>())
{
    m_created = m_modified = nowUtc();
    m_provenance.createdWith = version();
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

std::string Session::displayName() const
{
    return m_path.empty() ? std::string("(unsaved session)") : m_path.string();
}

Session Session::open(const fs::path& path)
{
    Session session;
    session.readFile(path);
    return session;
}

void Session::readFile(const fs::path& path)
{
    const std::string display = path.string();
    std::error_code ec;
    if (!fs::exists(path, ec))
        fail("{}: no such session file", display);
    if (!fs::is_regular_file(path, ec))
        fail("{}: not a file", display);
    if (fs::file_size(path, ec) == 0)
        fail("{}: the session file is empty", display);
    h5::Lock lock;
    try {
        h5::File file = h5::File::open(path, display);
        const h5::Node& root = file.root();
        if (root.stringAttr("format", "") != kFormat)
            fail("{}: not a MoE Workbench session file", display);
        const int64_t schema = root.intAttr("schema_version");
        if (schema > kSchemaVersion)
            fail("{}: session schema version {} is newer than this build supports ({}); update MoE Workbench",
                display, schema, kSchemaVersion);
        if (schema < 1)
            fail("{}: invalid session schema version {}", display, schema);
        m_schemaVersion = static_cast<int>(schema);
        m_created = root.stringAttr("created");
        m_modified = root.stringAttr("modified");
        if (root.has("provenance"))
            m_provenance = sessionio::readProvenance(root.group("provenance"));
        if (root.has("source"))
            m_source = sessionio::readSource(root.group("source"));
        if (root.has("calibration"))
            m_calibration = sessionio::readCalibration(root.group("calibration"));
        if (root.has("router_stats"))
            m_routerStats = sessionio::readRouterStats(root.group("router_stats"));
        if (root.has("importance"))
            m_importance = sessionio::readImportance(root.group("importance"));
        if (root.has("allocation"))
            m_allocation = sessionio::readAllocation(root.group("allocation"));
        if (root.has("search")) {
            const h5::Node group = root.group("search");
            for (const std::string& child : group.children()) {
                LayerSearch search = sessionio::readSearch(group.group(child));
                m_searches[search.layer] = std::move(search);
            }
        }
        if (root.has("blocks"))
            m_blockSearch = sessionio::readBlockSearch(root.group("blocks"));
        if (root.has("plans")) {
            const h5::Node group = root.group("plans");
            for (const std::string& child : group.children()) {
                SessionPlan plan = sessionio::readPlan(group, child);
                const std::string name = plan.plan.name;
                if (!m_plans.emplace(name, std::move(plan)).second)
                    fail("{}: two plans are named '{}'", display, name);
            }
        }
        if (root.has("evaluations")) {
            const h5::Node group = root.group("evaluations");
            for (const std::string& child : group.children()) {
                Evaluation evaluation = sessionio::readEvaluation(group, child);
                const std::string name = evaluation.name;
                if (!m_evaluations.emplace(name, std::move(evaluation)).second)
                    fail("{}: two evaluations are named '{}'", display, name);
            }
        }
        m_arrays->scan(root);
        file.close();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        fail("{}: cannot read the session file: {}", display, e.what());
    }
    m_path = path;
    rememberFile();
}

void Session::rememberFile()
{
    std::error_code ec;
    m_fileSize = fs::file_size(m_path, ec);
    m_fileTime = fs::last_write_time(m_path, ec).time_since_epoch().count();
}

void Session::checkFileUnchanged() const
{
    std::error_code ec;
    const uintmax_t size = fs::file_size(m_path, ec);
    const int64_t time = ec ? 0 : fs::last_write_time(m_path, ec).time_since_epoch().count();
    if (ec || size != m_fileSize || time != m_fileTime)
        fail("{}: the session file changed on disk since it was opened; reopen it", displayName());
}

void Session::save()
{
    if (m_path.empty())
        fail("the session has not been saved yet; choose a file name");
    save(m_path);
}

void Session::requireSavable(const fs::path& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec))
        fail("{}: is a folder; the session cannot be saved there", path.string());
    try {
        AtomicFile probe(path);
    } catch (const Error& e) {
        fail("{} (the session could not be saved there; nothing was computed)", e.what());
    }
}

void Session::save(const fs::path& target)
{
    const std::string display = target.string();
    // The temporary sits next to the file replaced (through a symlink: the file it points to) with that
    // file's permissions, owner and group (core/io/atomic_file.h); HDF5 writes it by name.
    AtomicFile temp(target);
    temp.finish();
    const std::string modified = nowUtc();

    h5::Lock lock;
    try {
        h5::File out = h5::File::create(temp.tempPath(), display);
        const h5::Node& root = out.root();
        root.setAttr("format", kFormat);
        root.setAttr("schema_version", int64_t{kSchemaVersion});
        root.setAttr("created", m_created);
        root.setAttr("modified", modified);
        Provenance provenance = m_provenance;
        provenance.savedWith = version();
        sessionio::writeProvenance(root, provenance);
        if (m_source)
            sessionio::writeSource(root, *m_source);
        if (m_calibration)
            sessionio::writeCalibration(root, *m_calibration);
        if (m_routerStats)
            sessionio::writeRouterStats(root, *m_routerStats);
        if (m_importance)
            sessionio::writeImportance(root, *m_importance);
        if (m_allocation)
            sessionio::writeAllocation(root, *m_allocation);
        if (!m_searches.empty()) {
            const h5::Node group = root.createGroup("search");
            for (const auto& [layer, search] : m_searches)
                sessionio::writeSearch(group, search);
        }
        if (m_blockSearch)
            sessionio::writeBlockSearch(root, *m_blockSearch);
        const h5::Node plans = root.createGroup("plans");
        size_t index = 0;
        for (const auto& [name, plan] : m_plans)
            sessionio::writePlan(plans, index++, plan);
        const h5::Node evaluations = root.createGroup("evaluations");
        index = 0;
        for (const auto& [name, evaluation] : m_evaluations)
            sessionio::writeEvaluation(evaluations, index++, evaluation);
        if (m_arrays->anyInFile()) {
            checkFileUnchanged();
            h5::File previous = h5::File::open(m_path, displayName());
            m_arrays->writeAll(root, &previous.root());
            previous.close();
        } else {
            m_arrays->writeAll(root, nullptr);
        }
        out.close();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        fail("{}: cannot write the session file: {}", display, e.what());
    }
    syncPath(temp.tempPath(), false, display);
    temp.commit();

    m_path = target;
    m_modified = modified;
    m_provenance.savedWith = version();
    m_schemaVersion = kSchemaVersion;
    m_arrays->markSaved();
    rememberFile();
}

CacheStamp Session::currentStamp() const
{
    return {m_source ? m_source->identityHash : std::string(),
        m_calibration ? m_calibration->dataHash : std::string()};
}

void Session::setRouterStats(RouterStats stats)
{
    if (stats.stamp.empty())
        stats.stamp = currentStamp();
    m_routerStats = std::move(stats);
}

void Session::setImportance(ImportanceTables tables)
{
    if (tables.stamp.empty())
        tables.stamp = currentStamp();
    m_importance = std::move(tables);
}

void Session::setAllocation(PruningCounts counts)
{
    if (counts.stamp.empty())
        counts.stamp = currentStamp();
    m_allocation = std::move(counts);
}

void Session::setSearch(LayerSearch search)
{
    if (search.stamp.empty())
        search.stamp = currentStamp();
    m_searches[search.layer] = std::move(search);
}

void Session::setBlockSearch(BlockSearch search)
{
    if (search.stamp.empty())
        search.stamp = currentStamp();
    m_blockSearch = std::move(search);
}

void Session::setPlan(Plan plan, CacheStamp stamp)
{
    if (stamp.empty())
        stamp = {currentStamp().modelHash, {}};
    std::string name = plan.name;
    m_plans[name] = SessionPlan{std::move(plan), std::move(stamp)};
}

void Session::setEvaluation(Evaluation evaluation)
{
    if (evaluation.stamp.empty())
        evaluation.stamp = {currentStamp().modelHash, {}};
    std::string name = evaluation.name;
    m_evaluations[name] = std::move(evaluation);
}

} // namespace moewb
