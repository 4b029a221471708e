// A whole file mapped read-only (RAII). Safetensors tensors are read straight out of the mapping, so
// only the pages a computation touches are ever loaded, and streaming code can drop them again.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace moewb {

class MappedFile {
public:
    MappedFile() = default;
    // Throws moewb::Error naming the file when it cannot be opened or mapped. An empty file is
    // mapped as an empty span (mmap refuses length 0).
    static MappedFile open(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::byte* data() const { return m_data; }
    uint64_t size() const { return m_size; }
    std::span<const std::byte> bytes() const { return {m_data, static_cast<size_t>(m_size)}; }

    // Gives up ownership: the caller unmaps with unmap(data, size).
    const std::byte* release();
    static void unmap(const std::byte* data, uint64_t size);

    // Paging hints for the byte range [offset, offset + length) of a mapping at `data`.
    // willNeed rounds outwards to whole pages (prefetching a neighbour's page is harmless);
    // dontNeed rounds inwards so that only pages wholly inside the range are dropped.
    static void willNeed(const std::byte* data, uint64_t size, uint64_t offset, uint64_t length);
    static void dontNeed(const std::byte* data, uint64_t size, uint64_t offset, uint64_t length);

private:
    const std::byte* m_data = nullptr;
    uint64_t m_size = 0;
};

} // namespace moewb
