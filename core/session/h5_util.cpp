#include "core/session/h5_util.h"

#include "core/io/error.h"

#include <algorithm>
#include <new>
#include <sys/mman.h>
#include <unistd.h>

namespace moewb::h5 {
namespace {

std::recursive_mutex& mutex()
{
    static std::recursive_mutex instance;
    return instance;
}

template <typename T> struct Types;
template <> struct Types<float> {
    static hid_t mem() { return H5T_NATIVE_FLOAT; }
    static hid_t file() { return H5T_IEEE_F32LE; }
    static constexpr H5T_class_t cls = H5T_FLOAT;
};
template <> struct Types<double> {
    static hid_t mem() { return H5T_NATIVE_DOUBLE; }
    static hid_t file() { return H5T_IEEE_F64LE; }
    static constexpr H5T_class_t cls = H5T_FLOAT;
};
template <> struct Types<uint8_t> {
    static hid_t mem() { return H5T_NATIVE_UINT8; }
    static hid_t file() { return H5T_STD_U8LE; }
    static constexpr H5T_class_t cls = H5T_INTEGER;
};
template <> struct Types<uint16_t> {
    static hid_t mem() { return H5T_NATIVE_UINT16; }
    static hid_t file() { return H5T_STD_U16LE; }
    static constexpr H5T_class_t cls = H5T_INTEGER;
};
template <> struct Types<int32_t> {
    static hid_t mem() { return H5T_NATIVE_INT32; }
    static hid_t file() { return H5T_STD_I32LE; }
    static constexpr H5T_class_t cls = H5T_INTEGER;
};
template <> struct Types<int64_t> {
    static hid_t mem() { return H5T_NATIVE_INT64; }
    static hid_t file() { return H5T_STD_I64LE; }
    static constexpr H5T_class_t cls = H5T_INTEGER;
};

constexpr hsize_t kChunkBytes = hsize_t{1} << 20;

// Whole trailing dimensions while they fit in ~1 MiB, then a slice of the next one.
std::vector<hsize_t> chunkShape(const std::vector<hsize_t>& dims, size_t elementSize)
{
    std::vector<hsize_t> chunk(dims.size(), 1);
    hsize_t bytes = elementSize;
    for (size_t i = dims.size(); i-- > 0;) {
        if (bytes * dims[i] <= kChunkBytes) {
            chunk[i] = dims[i];
            bytes *= dims[i];
        } else {
            chunk[i] = std::max<hsize_t>(1, kChunkBytes / bytes);
            break;
        }
    }
    return chunk;
}

Id linkCreateProps()
{
    Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    return lcpl;
}

herr_t collectName(hid_t, const char* name, const H5L_info_t*, void* data)
{
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
}

} // namespace

Lock::Lock()
    : m_lock(mutex())
{
    // Before HDF5's first call (it initialises the library): no library shutdown at exit. Where a
    // file's close fails all the same (File::abandon), HDF5 1.10.8 keeps the id of the freed file and
    // the shutdown crashed on it; open files need nothing at exit (sessions are written and closed
    // in save(), and a temporary left open is never renamed into place).
    static const bool noShutdown = H5dont_atexit() >= 0;
    (void)noShutdown;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    H5Eclear2(H5E_DEFAULT);
}

Lock::~Lock()
{
    H5Eclear2(H5E_DEFAULT);
}

Id& Id::operator=(Id&& other) noexcept
{
    if (this != &other) {
        reset();
        m_id = other.m_id;
        m_close = other.m_close;
        other.m_id = H5I_INVALID_HID;
    }
    return *this;
}

void Id::reset() noexcept
{
    if (m_id >= 0 && m_close)
        m_close(m_id);
    m_id = H5I_INVALID_HID;
}

herr_t Id::close()
{
    const herr_t status = m_id >= 0 && m_close ? m_close(m_id) : 0;
    m_id = H5I_INVALID_HID;
    return status;
}

std::string lastError()
{
    // Walking upward starts at the function that detected the problem: the most specific reason.
    std::string message;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
            if (n == 0 && err->desc)
                *static_cast<std::string*>(data) = err->desc;
            return 0;
        },
        &message);
    H5Eclear2(H5E_DEFAULT);
    return message;
}

void raise(const std::string& file, const std::string& what)
{
    const std::string detail = lastError();
    if (detail.empty())
        fail("{}: {}", file, what);
    // Checksum and format errors mean damage; say so in words a user acts on.
    const bool damaged = what.find("damaged") == std::string::npos
        && (detail.find("checksum") != std::string::npos || detail.find("bad ") == 0
            || detail.find("truncated") != std::string::npos);
    fail("{}: {}{} (HDF5: {})", file, what, damaged ? "; the file is damaged" : "", detail);
}

std::string Node::childPath(const std::string& name) const
{
    return m_path == "/" ? "/" + name : m_path + "/" + name;
}

void Node::raise(const std::string& what) const
{
    h5::raise(m_file, what);
}

bool Node::has(const std::string& name) const
{
    // H5Lexists fails rather than answering false when an intermediate group is missing.
    size_t pos = 0;
    while (true) {
        const size_t slash = name.find('/', pos);
        const std::string prefix = name.substr(0, slash);
        const htri_t exists = H5Lexists(id(), prefix.c_str(), H5P_DEFAULT);
        if (exists < 0)
            raise(fmt::format("cannot look up '{}'", childPath(prefix)));
        if (exists == 0)
            return false;
        if (slash == std::string::npos)
            return true;
        pos = slash + 1;
    }
}

bool Node::isGroup(const std::string& name) const
{
    Id object(H5Oopen(id(), name.c_str(), H5P_DEFAULT), H5Oclose);
    if (!object.valid())
        raise(fmt::format("cannot open '{}'", childPath(name)));
    return H5Iget_type(object.get()) == H5I_GROUP;
}

Node Node::group(const std::string& name) const
{
    Id g(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.valid())
        raise(fmt::format("cannot open group '{}'", childPath(name)));
    return Node(std::move(g), m_file, childPath(name));
}

Node Node::createGroup(const std::string& name) const
{
    Id lcpl = linkCreateProps();
    Id g(H5Gcreate2(id(), name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.valid())
        raise(fmt::format("cannot create group '{}'", childPath(name)));
    return Node(std::move(g), m_file, childPath(name));
}

Node Node::object(const std::string& name) const
{
    Id o(H5Oopen(id(), name.c_str(), H5P_DEFAULT), H5Oclose);
    if (!o.valid())
        raise(fmt::format("cannot open '{}'", childPath(name)));
    return Node(std::move(o), m_file, childPath(name));
}

std::vector<std::string> Node::children() const
{
    std::vector<std::string> names;
    hsize_t index = 0;
    if (H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collectName, &names) < 0)
        raise(fmt::format("cannot list group '{}'", m_path));
    std::sort(names.begin(), names.end());
    return names;
}

template <typename T>
void Node::write(
    const std::string& name, const std::vector<int64_t>& shape, const T* data, bool compress) const
{
    const std::vector<hsize_t> dims(shape.begin(), shape.end());
    hsize_t numel = 1;
    for (hsize_t d : dims)
        numel *= d;
    Id space(dims.empty() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
        H5Sclose);
    Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    // Chunking is what allows a checksum; empty and scalar datasets have nothing to protect.
    if (numel > 0 && !dims.empty()) {
        const std::vector<hsize_t> chunk = chunkShape(dims, sizeof(T));
        bool ok = H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) >= 0;
        if (compress && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0)
            ok = ok && H5Pset_shuffle(dcpl.get()) >= 0 && H5Pset_deflate(dcpl.get(), 4) >= 0;
        ok = ok && H5Pset_fletcher32(dcpl.get()) >= 0;
        if (!ok)
            raise(fmt::format("cannot set up storage for '{}'", childPath(name)));
    }
    Id lcpl = linkCreateProps();
    Id dataset(
        H5Dcreate2(id(), name.c_str(), Types<T>::file(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
        H5Dclose);
    if (!space.valid() || !dataset.valid())
        raise(fmt::format("cannot create dataset '{}'", childPath(name)));
    if (numel > 0 && H5Dwrite(dataset.get(), Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        raise(fmt::format("cannot write dataset '{}'", childPath(name)));
    // Closing writes the cached chunks: a full disk shows here, named, rather than at the file's close.
    if (dataset.close() < 0)
        raise(fmt::format("cannot write dataset '{}'", childPath(name)));
}

std::vector<int64_t> Node::shape(const std::string& name) const
{
    Id dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset.valid())
        raise(fmt::format("cannot open dataset '{}'", childPath(name)));
    Id space(H5Dget_space(dataset.get()), H5Sclose);
    const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
    if (rank < 0 || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        raise(fmt::format("cannot read the shape of '{}'", childPath(name)));
    return {dims.begin(), dims.end()};
}

template <typename T> std::vector<T> Node::read(const std::string& name, std::vector<int64_t>* shapeOut) const
{
    const std::vector<int64_t> dims = shape(name);
    Id dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
    Id type(dataset.valid() ? H5Dget_type(dataset.get()) : H5I_INVALID_HID, H5Tclose);
    if (!type.valid())
        raise(fmt::format("cannot open dataset '{}'", childPath(name)));
    if (H5Tget_class(type.get()) != Types<T>::cls)
        raise(fmt::format("dataset '{}' has the wrong element type", childPath(name)));
    size_t numel = 1;
    for (int64_t d : dims)
        numel *= static_cast<size_t>(d);
    std::vector<T> values;
    try {
        values.resize(numel);
    } catch (const std::bad_alloc&) {
        raise(fmt::format("dataset '{}' is too large to read ({} elements)", childPath(name), numel));
    }
    if (numel > 0
        && H5Dread(dataset.get(), Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
        raise(fmt::format("cannot read dataset '{}'; the file is damaged", childPath(name)));
    if (shapeOut)
        *shapeOut = dims;
    return values;
}

#define MOEWB_H5_INSTANTIATE(T)                                                                              \
    template void Node::write<T>(const std::string&, const std::vector<int64_t>&, const T*, bool) const;     \
    template std::vector<T> Node::read<T>(const std::string&, std::vector<int64_t>*) const;
MOEWB_H5_INSTANTIATE(float)
MOEWB_H5_INSTANTIATE(double)
MOEWB_H5_INSTANTIATE(uint8_t)
MOEWB_H5_INSTANTIATE(uint16_t)
MOEWB_H5_INSTANTIATE(int32_t)
MOEWB_H5_INSTANTIATE(int64_t)
#undef MOEWB_H5_INSTANTIATE

void Node::writeText(const std::string& name, const std::string& text) const
{
    write<uint8_t>(
        name, {static_cast<int64_t>(text.size())}, reinterpret_cast<const uint8_t*>(text.data()), true);
}

std::string Node::readText(const std::string& name) const
{
    const std::vector<uint8_t> bytes = read<uint8_t>(name);
    return {bytes.begin(), bytes.end()};
}

void Node::copyTo(const std::string& name, const Node& dest, const std::string& destName) const
{
    Id lcpl = linkCreateProps();
    if (H5Ocopy(id(), name.c_str(), dest.id(), destName.c_str(), H5P_DEFAULT, lcpl.get()) < 0)
        raise(fmt::format("cannot copy '{}' into the new file", childPath(name)));
}

File File::create(const std::filesystem::path& path, const std::string& displayName)
{
    Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    // 1.10 format objects carry checksums on all metadata (superblock, headers, chunk indexes),
    // so damage is reported instead of being parsed.
    H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110);
    H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(fapl.get(), 1, 1);
#endif
    Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!file.valid())
        raise(displayName, "cannot create the session file");
    Id root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    if (!root.valid())
        raise(displayName, "cannot open the root group");
    return File(std::move(file), Node(std::move(root), displayName, "/"), true);
}

File File::open(const std::filesystem::path& path, const std::string& displayName)
{
    Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
#if H5_VERSION_GE(1, 10, 7)
    // Lock where the filesystem can, but do not refuse to read from one that cannot (NFS, Lustre).
    H5Pset_file_locking(fapl.get(), 1, 1);
#endif
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
    if (!file.valid())
        raise(displayName, "cannot open the session file; it is damaged, truncated or not an HDF5 file");
    Id root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    if (!root.valid())
        raise(displayName, "cannot open the root group; the file is damaged");
    return File(std::move(file), Node(std::move(root), displayName, "/"), false);
}

File::~File()
{
    if (m_writable)
        abandon();
}

void File::close()
{
    m_root.close();
    // Flush first: when that fails (no space), the file is abandoned rather than closed with a
    // failing flush (see the class comment); a close after a successful flush has nothing left to write.
    if (m_writable && H5Fflush(m_file.get(), H5F_SCOPE_LOCAL) < 0) {
        try {
            raise(m_root.file(), "cannot finish writing the session file");
        } catch (...) {
            abandon();
            throw;
        }
    }
    if (m_file.close() < 0)
        raise(m_root.file(), "cannot finish writing the session file");
}

void File::abandon() noexcept
{
    if (!m_file.valid())
        return;
    m_root.close();
    // Point HDF5's descriptor (the sec2 driver's int) at an anonymous in-memory file: the writes and the
    // truncate of the close succeed there, the real file's descriptor is closed by dup2.
    void* handle = nullptr;
    if (H5Fget_vfd_handle(m_file.get(), H5P_DEFAULT, &handle) >= 0 && handle) {
        const int sink = ::memfd_create("moewb-abandoned-session", MFD_CLOEXEC);
        if (sink >= 0) {
            ::dup2(sink, *static_cast<int*>(handle));
            ::close(sink);
        }
    }
    m_file.reset();
    H5Eclear2(H5E_DEFAULT);
}

} // namespace moewb::h5
