// Writing files so that a reader never sees half of one: write to a temporary sibling (same folder,
// so the rename never crosses filesystems), fsync, rename into place, fsync the folder. Anything not
// committed is removed when the object is destroyed, including after an exception.
// Replacing a file keeps what a user set on it: a symlink stays a link (the file it points to is
// replaced, the temporary sits next to that file), and the new file gets the old one's permission bits
// and, where allowed (as root, or a group the user is in), its owner and group.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace moewb {

class AtomicFile {
public:
    // Creates the temporary sibling ".<name>.tmp-<random>" next to `target` (next to the file a symlink
    // `target` points to); the folder must exist.
    explicit AtomicFile(std::filesystem::path target);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::span<const std::byte> data);
    void write(std::string_view text);
    uint64_t written() const { return m_written; }

    // fsync and close the temporary file without renaming it (lets a caller finish several files
    // before committing any of them). commit() calls it when needed.
    void finish();
    // Renames the temporary file over `target` and fsyncs the folder.
    void commit();
    // Removes the temporary file now (the destructor does the same when not committed).
    void discard() noexcept;

    const std::filesystem::path& target() const { return m_target; }
    // The file commit() replaces: target(), or where a symlink target() points.
    const std::filesystem::path& destination() const { return m_destination; }
    const std::filesystem::path& tempPath() const { return m_temp; }
    bool committed() const { return m_committed; }

private:
    std::filesystem::path m_target;
    std::filesystem::path m_destination;
    std::filesystem::path m_temp;
    int m_fd = -1;
    uint64_t m_written = 0;
    bool m_committed = false;
};

// A whole folder written under a temporary sibling name and renamed into place when complete.
// The target must not exist, or be an empty folder: an export never replaces existing data unless
// `replaceExisting` (moe-compress export --force): then commit() moves the old folder aside, renames
// the new one into place and only then deletes the old one (restored if the rename fails).
class AtomicDirectory {
public:
    explicit AtomicDirectory(std::filesystem::path target, bool replaceExisting = false);
    ~AtomicDirectory();
    AtomicDirectory(const AtomicDirectory&) = delete;
    AtomicDirectory& operator=(const AtomicDirectory&) = delete;

    // Where to write the contents until commit().
    const std::filesystem::path& path() const { return m_temp; }
    const std::filesystem::path& target() const { return m_target; }

    // fsyncs every file below path(), renames the folder to target() and fsyncs the parent.
    void commit();
    void discard() noexcept;
    bool committed() const { return m_committed; }

private:
    std::filesystem::path m_target;
    std::filesystem::path m_temp;
    bool m_replace = false;
    bool m_committed = false;
};

// Where a file replaced through `path` lives: the end of its chain of symlinks (resolved relative to
// each link's folder; the end need not exist yet), or `path` itself when it is no symlink.
std::filesystem::path resolveSymlinks(const std::filesystem::path& path);

// fsync a folder so that a rename inside it is durable; throws moewb::Error on failure.
void syncDirectory(const std::filesystem::path& directory);

} // namespace moewb
