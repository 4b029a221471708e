// Attributes: short strings (hashes, paths, timestamps) and scalars on groups and datasets. They
// live in the object headers, which the 1.10 file format checksums.
#include "core/session/h5_util.h"

#include "core/io/error.h"

#include <algorithm>

namespace moewb::h5 {

bool Node::hasAttr(const std::string& name) const
{
    const htri_t exists = H5Aexists(id(), name.c_str());
    if (exists < 0)
        raise(fmt::format("cannot look up attribute '{}' of '{}'", name, m_path));
    return exists > 0;
}

void Node::writeAttr(const std::string& name, hid_t fileType, hid_t memType, const void* value) const
{
    if (hasAttr(name) && H5Adelete(id(), name.c_str()) < 0)
        raise(fmt::format("cannot replace attribute '{}' of '{}'", name, m_path));
    Id space(H5Screate(H5S_SCALAR), H5Sclose);
    Id attr(H5Acreate2(id(), name.c_str(), fileType, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.valid() || H5Awrite(attr.get(), memType, value) < 0)
        raise(fmt::format("cannot write attribute '{}' of '{}'", name, m_path));
}

void Node::setAttr(const std::string& name, const std::string& value) const
{
    // Fixed-length UTF-8, null-padded: no global heap (which has no checksum), exact length kept.
    Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), std::max<size_t>(value.size(), 1));
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    std::string buffer = value.empty() ? std::string(1, '\0') : value;
    writeAttr(name, type.get(), type.get(), buffer.data());
}

void Node::setAttr(const std::string& name, int64_t value) const
{
    writeAttr(name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}
void Node::setAttr(const std::string& name, uint64_t value) const
{
    writeAttr(name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}
void Node::setAttr(const std::string& name, double value) const
{
    writeAttr(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

std::string Node::stringAttr(const std::string& name) const
{
    Id attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
    Id type(attr.valid() ? H5Aget_type(attr.get()) : H5I_INVALID_HID, H5Tclose);
    if (!type.valid())
        raise(fmt::format("cannot open attribute '{}' of '{}'", name, m_path));
    if (H5Tget_class(type.get()) != H5T_STRING)
        raise(fmt::format("attribute '{}' of '{}' is not a string", name, m_path));
    if (H5Tis_variable_str(type.get()) > 0) {
        // Written by another tool (h5py writes variable-length strings).
        char* text = nullptr;
        if (H5Aread(attr.get(), type.get(), &text) < 0)
            raise(fmt::format("cannot read attribute '{}' of '{}'", name, m_path));
        std::string out = text ? text : "";
        H5free_memory(text);
        return out;
    }
    std::string buffer(H5Tget_size(type.get()), '\0');
    if (H5Aread(attr.get(), type.get(), buffer.data()) < 0)
        raise(fmt::format("cannot read attribute '{}' of '{}'", name, m_path));
    buffer.erase(buffer.find_last_not_of('\0') + 1);
    return buffer;
}

template <typename T> T Node::numericAttr(const std::string& name, hid_t memType) const
{
    Id attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
    Id type(attr.valid() ? H5Aget_type(attr.get()) : H5I_INVALID_HID, H5Tclose);
    if (!type.valid())
        raise(fmt::format("cannot open attribute '{}' of '{}'", name, m_path));
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        raise(fmt::format("attribute '{}' of '{}' is not a number", name, m_path));
    Id space(H5Aget_space(attr.get()), H5Sclose);
    if (H5Sget_simple_extent_npoints(space.get()) != 1)
        raise(fmt::format("attribute '{}' of '{}' is not a single value", name, m_path));
    T value{};
    if (H5Aread(attr.get(), memType, &value) < 0)
        raise(fmt::format("cannot read attribute '{}' of '{}'", name, m_path));
    return value;
}

int64_t Node::intAttr(const std::string& name) const
{
    return numericAttr<int64_t>(name, H5T_NATIVE_INT64);
}
uint64_t Node::uintAttr(const std::string& name) const
{
    return numericAttr<uint64_t>(name, H5T_NATIVE_UINT64);
}
double Node::doubleAttr(const std::string& name) const
{
    return numericAttr<double>(name, H5T_NATIVE_DOUBLE);
}

} // namespace moewb::h5
