#include "core/io/mapped_file.h"

#include "core/io/error.h"
#include "core/io/unique_fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace moewb {

namespace {

uint64_t pageSize()
{
    static const uint64_t size = [] {
        const long value = ::sysconf(_SC_PAGESIZE);
        return value > 0 ? static_cast<uint64_t>(value) : uint64_t{4096};
    }();
    return size;
}

void advise(const std::byte* data, uint64_t size, uint64_t offset, uint64_t length, bool outwards, int advice)
{
    if (!data || length == 0 || offset >= size)
        return;
    const uint64_t end = length > size - offset ? size : offset + length;
    const auto base = reinterpret_cast<uintptr_t>(data);
    const uint64_t page = pageSize();
    uint64_t first = base + offset;
    uint64_t last = base + end;
    if (outwards) {
        first = first / page * page;
        last = (last + page - 1) / page * page;
    } else {
        first = (first + page - 1) / page * page;
        last = last / page * page;
    }
    if (last <= first)
        return;
    // Hints only: a failure (e.g. EAGAIN) changes nothing a caller could act on.
    (void)::madvise(reinterpret_cast<void*>(first), static_cast<size_t>(last - first), advice);
}

} // namespace

MappedFile MappedFile::open(const std::filesystem::path& path)
{
    UniqueFd file;
    // O_NONBLOCK: a FIFO named like a checkpoint file must not hang the open; it is rejected below.
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (file.fd < 0)
        fail("{}: cannot open: {}", path.string(), std::strerror(errno));
    struct stat st { };
    if (::fstat(file.fd, &st) != 0)
        fail("{}: cannot read its size: {}", path.string(), std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        fail("{}: not a regular file", path.string());
    MappedFile mapped;
    mapped.m_size = static_cast<uint64_t>(st.st_size);
    if (mapped.m_size == 0)
        return mapped;
    if (mapped.m_size > static_cast<uint64_t>(SIZE_MAX))
        fail("{}: {} bytes is too large to map", path.string(), mapped.m_size);
    void* data = ::mmap(nullptr, static_cast<size_t>(mapped.m_size), PROT_READ, MAP_PRIVATE, file.fd, 0);
    if (data == MAP_FAILED)
        fail("{}: cannot map {} bytes: {}", path.string(), mapped.m_size, std::strerror(errno));
    mapped.m_data = static_cast<const std::byte*>(data);
    return mapped;
}

MappedFile::~MappedFile()
{
    unmap(m_data, m_size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
{
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept
{
    if (this != &other) {
        unmap(m_data, m_size);
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

const std::byte* MappedFile::release()
{
    m_size = 0;
    return std::exchange(m_data, nullptr);
}

void MappedFile::unmap(const std::byte* data, uint64_t size)
{
    if (data && size > 0)
        ::munmap(const_cast<std::byte*>(data), static_cast<size_t>(size));
}

void MappedFile::willNeed(const std::byte* data, uint64_t size, uint64_t offset, uint64_t length)
{
    advise(data, size, offset, length, true, MADV_WILLNEED);
}

void MappedFile::dontNeed(const std::byte* data, uint64_t size, uint64_t offset, uint64_t length)
{
    advise(data, size, offset, length, false, MADV_DONTNEED);
}

} // namespace moewb
