#include "core/io/file_read.h"

#include "core/io/error.h"
#include "core/io/unique_fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moewb {

std::string byteLimitText(uint64_t bytes)
{
    if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
        return fmt::format("{} GiB", bytes >> 30);
    if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
        return fmt::format("{} MiB", bytes >> 20);
    return fmt::format("{} bytes", bytes);
}

std::string readWholeFile(const std::filesystem::path& path, uint64_t maxBytes, std::string_view what)
{
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below like any non-regular file.
    UniqueFd file;
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (file.fd < 0) {
        if (errno == ENOENT)
            fail("{}: no such file", path.string());
        fail("{}: cannot open: {}", path.string(), std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(file.fd, &st) != 0)
        fail("{}: cannot read its size: {}", path.string(), std::strerror(errno));
    if (S_ISDIR(st.st_mode))
        fail("{}: is a folder, not a file", path.string());
    if (!S_ISREG(st.st_mode))
        fail("{}: not a regular file", path.string());
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > maxBytes)
        fail("{}: {} bytes, more than the {} limit for a {}", path.string(), size, byteLimitText(maxBytes), what);
    std::string bytes;
    bytes.resize(static_cast<size_t>(size));
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(file.fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("{}: read error: {}", path.string(), std::strerror(errno));
        if (n == 0)
            break; // shrank while being read: what is there
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

} // namespace moewb
