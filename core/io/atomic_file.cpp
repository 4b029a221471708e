#include "core/io/atomic_file.h"

#include "core/io/error.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace moewb {

namespace fs = std::filesystem;

namespace {

fs::path parentOf(const fs::path& target)
{
    const fs::path parent = target.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

// ".<name>.tmp-<16 hex digits>": hidden, and not ending in .safetensors, so a half-written file is
// never mistaken for a checkpoint shard.
fs::path tempSibling(const fs::path& target)
{
    static std::atomic<uint64_t> counter{0};
    static const uint64_t seed = [] {
        std::random_device device;
        return (static_cast<uint64_t>(device()) << 32) ^ device() ^ static_cast<uint64_t>(::getpid());
    }();
    std::mt19937_64 mix(seed + counter.fetch_add(1) * 0x9e3779b97f4a7c15ull);
    return parentOf(target) / fmt::format(".{}.tmp-{:016x}", target.filename().string(), mix());
}

void fsyncFd(int fd, const fs::path& shown)
{
    while (::fsync(fd) != 0) {
        if (errno != EINTR)
            fail("{}: fsync failed: {}", shown.string(), std::strerror(errno));
    }
}

// The replaced file's permission bits, owner and group onto the new one (owner and group only where
// the system allows; permissions always, as the user may set them on a file they own).
void keepAttributes(int fd, const fs::path& existing, const fs::path& shown)
{
    struct stat st {};
    if (::stat(existing.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return;
    (void)!::fchown(fd, st.st_uid, st.st_gid); // before fchmod: a change of owner clears set-id bits
    if (::fchmod(fd, st.st_mode & 07777) != 0)
        fail("{}: cannot give the new file the permissions of the old one: {}", shown.string(),
            std::strerror(errno));
}

} // namespace

fs::path resolveSymlinks(const fs::path& path)
{
    fs::path p = path;
    for (int depth = 0; depth < 40; ++depth) {
        std::error_code ec;
        if (!fs::is_symlink(fs::symlink_status(p, ec)))
            return p;
        const fs::path link = fs::read_symlink(p, ec);
        if (ec)
            fail("{}: cannot read the symlink: {}", p.string(), ec.message());
        p = link.is_absolute() ? link : parentOf(p) / link;
    }
    fail("{}: too many levels of symlinks", path.string());
}

void syncDirectory(const fs::path& directory)
{
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        fail("{}: cannot open folder to sync it: {}", directory.string(), std::strerror(errno));
    int result = 0;
    while ((result = ::fsync(fd)) != 0 && errno == EINTR) { }
    const int savedErrno = errno;
    ::close(fd);
    // Some filesystems do not support fsync on folders; the rename itself has still happened.
    if (result != 0 && savedErrno != EINVAL && savedErrno != ENOTSUP)
        fail("{}: fsync of the folder failed: {}", directory.string(), std::strerror(savedErrno));
}

AtomicFile::AtomicFile(fs::path target)
    : m_target(std::move(target))
{
    if (m_target.filename().empty())
        fail("{}: not a file name", m_target.string());
    m_destination = resolveSymlinks(m_target);
    for (int attempt = 0; attempt < 100; ++attempt) {
        m_temp = tempSibling(m_destination);
        m_fd = ::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (m_fd >= 0) {
            try {
                keepAttributes(m_fd, m_destination, m_target);
            } catch (...) {
                discard();
                throw;
            }
            return;
        }
        if (errno != EEXIST)
            fail("{}: cannot create temporary file {}: {}", m_target.string(), m_temp.filename().string(),
                std::strerror(errno));
    }
    fail("{}: cannot find an unused temporary name", m_target.string());
}

AtomicFile::~AtomicFile()
{
    if (!m_committed)
        discard();
}

void AtomicFile::write(std::span<const std::byte> data)
{
    if (m_fd < 0)
        fail("{}: write after the file was finished", m_target.string());
    const std::byte* p = data.data();
    size_t left = data.size();
    while (left > 0) {
        // Linux writes at most ~2 GiB per call; chunk so huge tensors need no special case.
        const size_t chunk = left < (size_t{1} << 30) ? left : (size_t{1} << 30);
        const ssize_t n = ::write(m_fd, p, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("{}: write failed after {} bytes: {}", m_target.string(), m_written, std::strerror(errno));
        }
        if (n == 0)
            fail("{}: write failed after {} bytes: no progress", m_target.string(), m_written);
        p += n;
        left -= static_cast<size_t>(n);
        m_written += static_cast<uint64_t>(n);
    }
}

void AtomicFile::write(std::string_view text)
{
    write(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

void AtomicFile::finish()
{
    if (m_fd < 0)
        return;
    fsyncFd(m_fd, m_target);
    const int fd = std::exchange(m_fd, -1);
    if (::close(fd) != 0)
        fail("{}: close failed: {}", m_target.string(), std::strerror(errno));
}

void AtomicFile::commit()
{
    if (m_committed)
        return;
    finish();
    if (::rename(m_temp.c_str(), m_destination.c_str()) != 0)
        fail("{}: cannot rename {} into place: {}", m_target.string(), m_temp.filename().string(),
            std::strerror(errno));
    m_committed = true;
    syncDirectory(parentOf(m_destination));
}

void AtomicFile::discard() noexcept
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_committed && !m_temp.empty())
        ::unlink(m_temp.c_str());
}

AtomicDirectory::AtomicDirectory(fs::path target, bool replaceExisting)
    : m_target(std::move(target))
    , m_replace(replaceExisting)
{
    // A trailing slash would make filename() empty.
    if (m_target.filename().empty())
        m_target = m_target.parent_path();
    if (m_target.filename().empty())
        fail("{}: not a folder name", m_target.string());
    std::error_code ec;
    const auto status = fs::symlink_status(m_target, ec);
    if (fs::exists(status)) {
        if (!fs::is_directory(status))
            fail("{}: already exists and is not a folder; choose a new folder", m_target.string());
        if (!m_replace && !fs::is_empty(m_target, ec))
            fail("{}: already exists; choose a new folder (existing data is never replaced)",
                m_target.string());
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
        m_temp = tempSibling(m_target);
        if (::mkdir(m_temp.c_str(), 0777) == 0)
            return;
        if (errno != EEXIST)
            fail("{}: cannot create temporary folder {}: {}", m_target.string(), m_temp.filename().string(),
                std::strerror(errno));
    }
    fail("{}: cannot find an unused temporary name", m_target.string());
}

AtomicDirectory::~AtomicDirectory()
{
    if (!m_committed)
        discard();
}

void AtomicDirectory::commit()
{
    if (m_committed)
        return;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(m_temp, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec)) {
            syncDirectory(it->path());
        } else if (it->is_regular_file(ec)) {
            const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                fail("{}: cannot open {} to sync it: {}", m_target.string(), it->path().string(),
                    std::strerror(errno));
            int result = 0;
            while ((result = ::fsync(fd)) != 0 && errno == EINTR) { }
            const int savedErrno = errno;
            ::close(fd);
            if (result != 0)
                fail("{}: fsync of {} failed: {}", m_target.string(), it->path().string(),
                    std::strerror(savedErrno));
        }
    }
    if (ec)
        fail("{}: cannot list {}: {}", m_target.string(), m_temp.string(), ec.message());
    syncDirectory(m_temp);
    // Replacing: move the old folder aside first; it is deleted only once the new one is in place.
    fs::path old;
    if (m_replace && fs::is_directory(fs::symlink_status(m_target, ec)) && !fs::is_empty(m_target, ec)) {
        old = tempSibling(m_target);
        if (::rename(m_target.c_str(), old.c_str()) != 0)
            fail("{}: cannot move the existing folder aside: {}", m_target.string(), std::strerror(errno));
    }
    if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
        const int savedErrno = errno;
        if (!old.empty())
            ::rename(old.c_str(), m_target.c_str());
        errno = savedErrno;
        if (errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR || errno == EISDIR)
            fail("{}: already exists; choose a new folder (existing data is never replaced)",
                m_target.string());
        fail("{}: cannot rename {} into place: {}", m_target.string(), m_temp.filename().string(),
            std::strerror(errno));
    }
    m_committed = true;
    if (!old.empty())
        fs::remove_all(old, ec);
    syncDirectory(parentOf(m_target));
}

void AtomicDirectory::discard() noexcept
{
    if (m_committed || m_temp.empty())
        return;
    std::error_code ec;
    fs::remove_all(m_temp, ec);
}

} // namespace moewb
