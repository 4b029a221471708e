// Thin RAII helpers over the HDF5 C API, used only by core/session. Every failure becomes a
// moewb::Error naming the file, the object path and HDF5's own innermost reason ("truncated file",
// "data error detected by Fletcher32 checksum"); HDF5's default printing to stderr is switched off.
//
// Every HDF5 call in the process runs under h5::Lock (a process-wide recursive mutex); Session takes it
// in each public function. Debian's HDF5 1.10 is built thread-safe, but its own global lock does not
// make a sequence of calls (open, read, close) atomic, and the lock keeps one error discipline:
// HDF5 keeps an error stack per thread, and entries left on a thread's stack when that thread ends
// pin HDF5's error messages, so the library loops at exit ("HDF5: infinite loop closing library",
// seen after the GUI's worker thread used a session). The lock clears the calling thread's stack
// when taken and again when released.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace moewb::h5 {

class Lock {
public:
    Lock(); // also silences HDF5's error printing and clears this thread's error stack
    ~Lock(); // clears this thread's error stack again (see the top of this file)
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

private:
    std::unique_lock<std::recursive_mutex> m_lock;
};

// Owns one hid_t and closes it with the matching H5*close function.
class Id {
public:
    Id() = default;
    Id(hid_t id, herr_t (*close)(hid_t))
        : m_id(id)
        , m_close(close)
    {
    }
    ~Id() { reset(); }
    Id(Id&& other) noexcept
        : m_id(other.m_id)
        , m_close(other.m_close)
    {
        other.m_id = H5I_INVALID_HID;
    }
    Id& operator=(Id&& other) noexcept;
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    hid_t get() const { return m_id; }
    bool valid() const { return m_id >= 0; }
    void reset() noexcept;
    herr_t close(); // explicit close whose failure the caller checks (file close flushes)

private:
    hid_t m_id = H5I_INVALID_HID;
    herr_t (*m_close)(hid_t) = nullptr;
};

// HDF5's most specific message for the last failure (empty when none), and clears the stack.
std::string lastError();
[[noreturn]] void raise(const std::string& file, const std::string& what);

// An HDF5 object (file root, group or dataset) plus the names needed for error messages.
class Node {
public:
    Node(Id id, std::string file, std::string path)
        : m_id(std::move(id))
        , m_file(std::move(file))
        , m_path(std::move(path))
    {
    }
    hid_t id() const { return m_id.get(); }
    const std::string& file() const { return m_file; }
    const std::string& path() const { return m_path; }
    std::string childPath(const std::string& name) const;
    [[noreturn]] void raise(const std::string& what) const;
    void close() { m_id.reset(); }

    bool has(const std::string& name) const; // a link `name` (may contain '/') exists
    bool isGroup(const std::string& name) const;
    Node group(const std::string& name) const; // opens an existing group
    Node createGroup(const std::string& name) const;
    Node object(const std::string& name) const; // any object (for attributes on datasets)
    std::vector<std::string> children() const; // link names in this group, sorted

    // Numeric datasets: chunked (about 1 MiB per chunk) with a Fletcher32 checksum, so damaged
    // bytes are detected on read; `compress` adds shuffle + deflate. T: float, double, uint8_t,
    // uint16_t, int32_t, int64_t.
    template <typename T>
    void write(const std::string& name, const std::vector<int64_t>& shape, const T* data,
        bool compress = false) const;
    template <typename T>
    void write(const std::string& name, const std::vector<T>& values, bool compress = false) const
    {
        write<T>(name, {static_cast<int64_t>(values.size())}, values.data(), compress);
    }
    template <typename T>
    std::vector<T> read(const std::string& name, std::vector<int64_t>* shape = nullptr) const;
    std::vector<int64_t> shape(const std::string& name) const;

    // Text (JSON) as a compressed, checksummed 1-D uint8 dataset: attributes live in object
    // headers of limited size, and fixed-length string datasets cannot carry a checksum.
    void writeText(const std::string& name, const std::string& text) const;
    std::string readText(const std::string& name) const;

    // Attributes of this object.
    bool hasAttr(const std::string& name) const;
    void setAttr(const std::string& name, const std::string& value) const;
    void setAttr(const std::string& name, const char* value) const { setAttr(name, std::string(value)); }
    void setAttr(const std::string& name, int64_t value) const;
    void setAttr(const std::string& name, uint64_t value) const;
    void setAttr(const std::string& name, double value) const;
    std::string stringAttr(const std::string& name) const;
    int64_t intAttr(const std::string& name) const;
    uint64_t uintAttr(const std::string& name) const;
    double doubleAttr(const std::string& name) const;
    std::string stringAttr(const std::string& name, const std::string& fallback) const
    {
        return hasAttr(name) ? stringAttr(name) : fallback;
    }

    // Copies object `name` (with its attributes, chunks as stored: no recompression) into `dest`.
    void copyTo(const std::string& name, const Node& dest, const std::string& destName) const;

private:
    template <typename T> T numericAttr(const std::string& name, hid_t memType) const;
    void writeAttr(const std::string& name, hid_t fileType, hid_t memType, const void* value) const;

    Id m_id;
    std::string m_file;
    std::string m_path;
};

// An open file and its root group. create() truncates; files are written with checksummed
// metadata (HDF5 1.8+ object headers), readable by any HDF5 >= 1.8 (h5py, h5dump).
//
// A file being written that is not closed with close() (an exception on the way), or whose close()
// fails, is abandoned: its remaining writes go nowhere, so HDF5's close cannot fail. HDF5 1.10.8 frees
// a file whose close failed (a full disk: the flush fails) but keeps its id, and closes it again at
// exit: a crash in H5_term_library (fixed upstream in 1.10.11, HDFFV-11052). The caller deletes the file.
class File {
public:
    static File create(const std::filesystem::path& path, const std::string& displayName);
    static File open(const std::filesystem::path& path, const std::string& displayName);
    ~File();
    File(File&&) noexcept = default;
    File& operator=(File&&) = delete;
    const Node& root() const { return m_root; }
    void close(); // flushes; throws on failure (a failed close means a bad file), the file abandoned

private:
    File(Id file, Node root, bool writable)
        : m_file(std::move(file))
        , m_root(std::move(root))
        , m_writable(writable)
    {
    }
    void abandon() noexcept;
    Id m_file;
    Node m_root;
    bool m_writable = false;
};

} // namespace moewb::h5
