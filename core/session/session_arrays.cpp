#include "core/session/session_arrays.h"

#include "core/io/error.h"
#include "core/session/session_sections.h"

namespace moewb {
namespace {

const std::pair<ElementType, const char*> kElementNames[] = {
    {ElementType::F32, "f32"},
    {ElementType::F64, "f64"},
    {ElementType::BF16, "bf16"},
    {ElementType::U8, "u8"},
    {ElementType::I32, "i32"},
    {ElementType::I64, "i64"},
};

std::optional<ElementType> parseElementType(const std::string& name)
{
    for (const auto& [type, text] : kElementNames)
        if (name == text)
            return type;
    return std::nullopt;
}

// The variant alternative that holds each element type (bf16 travels as uint16_t bits).
size_t alternativeOf(ElementType type)
{
    switch (type) {
    case ElementType::F32:
        return 0;
    case ElementType::F64:
        return 1;
    case ElementType::BF16:
        return 2;
    case ElementType::U8:
        return 3;
    case ElementType::I32:
        return 4;
    case ElementType::I64:
        return 5;
    }
    return 0;
}

// HDF5 link names cannot be empty, "." or contain '/', so each component is checked.
void checkName(const std::string& key)
{
    size_t begin = 0;
    while (true) {
        const size_t slash = key.find('/', begin);
        const std::string part
            = key.substr(begin, slash == std::string::npos ? std::string::npos : slash - begin);
        if (part.empty() || part == "." || part == "..")
            fail("invalid array name '{}': use non-empty components separated by '/'", key);
        if (slash == std::string::npos)
            return;
        begin = slash + 1;
    }
}

} // namespace

std::string elementTypeName(ElementType type)
{
    for (const auto& [t, text] : kElementNames)
        if (t == type)
            return text;
    return "?";
}

void ArrayStore::put(const std::string& key, ElementType type, AnyArray values, CacheStamp stamp)
{
    checkName(key);
    if (values.index() != alternativeOf(type))
        fail("array '{}': the values do not hold {} elements", key, elementTypeName(type));
    ArrayInfo info;
    std::visit(
        [&](const auto& a) {
            if (static_cast<int64_t>(a.data.size()) != a.numel()
                || std::any_of(a.shape.begin(), a.shape.end(), [](int64_t d) { return d < 0; }))
                fail("array '{}': {} values do not fill a shape of {} elements", key, a.data.size(),
                    a.numel());
            info.shape = a.shape;
        },
        values);
    // A prefix of an existing key (or the reverse) would need a name to be both group and dataset.
    for (const auto& [other, entry] : m_entries)
        if (other != key && (other.starts_with(key + "/") || key.starts_with(other + "/")))
            fail("array '{}' clashes with the existing array '{}'", key, other);
    info.type = type;
    info.stamp = std::move(stamp);
    m_entries[key] = Entry{std::move(info), std::move(values)};
}

const ArrayInfo* ArrayStore::info(const std::string& key) const
{
    auto it = m_entries.find(key);
    return it == m_entries.end() ? nullptr : &it->second.info;
}

std::vector<std::string> ArrayStore::keys() const
{
    std::vector<std::string> out;
    for (const auto& [key, entry] : m_entries)
        out.push_back(key);
    return out;
}

std::vector<std::string> ArrayStore::names(const std::string& section) const
{
    std::vector<std::string> out;
    const std::string prefix = section + "/";
    for (const auto& [key, entry] : m_entries)
        if (key.starts_with(prefix))
            out.push_back(key.substr(prefix.size()));
    return out;
}

bool ArrayStore::anyInFile() const
{
    return std::any_of(m_entries.begin(), m_entries.end(), [](const auto& e) { return !e.second.data; });
}

bool ArrayStore::inMemory(const std::string& key) const
{
    auto it = m_entries.find(key);
    return it != m_entries.end() && it->second.data.has_value();
}

AnyArray ArrayStore::read(const std::string& key, const h5::Node* root) const
{
    const Entry& entry = m_entries.at(key);
    if (entry.data)
        return *entry.data;
    if (!root)
        fail("array '{}' is in the session file, which is not open", key);
    const auto load = [&]<typename T>() -> AnyArray {
        Array<T> a;
        a.data = root->read<T>(key, &a.shape);
        return a;
    };
    switch (entry.info.type) {
    case ElementType::F32:
        return load.operator()<float>();
    case ElementType::F64:
        return load.operator()<double>();
    case ElementType::BF16:
        return load.operator()<uint16_t>();
    case ElementType::U8:
        return load.operator()<uint8_t>();
    case ElementType::I32:
        return load.operator()<int32_t>();
    case ElementType::I64:
        return load.operator()<int64_t>();
    }
    fail("array '{}': unknown element type", key);
}

void ArrayStore::scan(const h5::Node& root)
{
    for (const char* section : {"activations", "tensors"})
        if (root.has(section))
            scanGroup(root.group(section), section);
}

void ArrayStore::scanGroup(const h5::Node& group, const std::string& prefix)
{
    for (const std::string& child : group.children()) {
        const std::string key = prefix + "/" + child;
        if (group.isGroup(child)) {
            scanGroup(group.group(child), key);
            continue;
        }
        const h5::Node dataset = group.object(child);
        const std::string element = dataset.stringAttr("element", "");
        const std::optional<ElementType> type = parseElementType(element);
        if (!type)
            dataset.raise(fmt::format("'{}' has an unknown element type '{}'", dataset.path(), element));
        m_entries[key]
            = Entry{ArrayInfo{group.shape(child), *type, sessionio::readStamp(dataset)}, std::nullopt};
    }
}

void ArrayStore::writeAll(const h5::Node& newRoot, const h5::Node* oldRoot) const
{
    for (const auto& [key, entry] : m_entries) {
        if (!entry.data) {
            if (!oldRoot)
                fail("array '{}' is in no file to copy it from", key);
            oldRoot->copyTo(key, newRoot, key);
            continue;
        }
        std::visit([&](const auto& a) { newRoot.write(key, a.shape, a.data.data(), true); }, *entry.data);
        const h5::Node dataset = newRoot.object(key);
        dataset.setAttr("element", elementTypeName(entry.info.type));
        sessionio::writeStamp(dataset, entry.info.stamp);
    }
}

void ArrayStore::markSaved()
{
    for (auto& [key, entry] : m_entries)
        entry.data.reset();
}

} // namespace moewb
