// The session's large arrays (cached activations, the tensor store): held in memory from put()
// until the next save, in the session file afterwards, and read on demand. Keys are full names
// ("activations/layer_03/moe_input", "tensors/masks/layer03/expert05/gate"). Internal to core/session.
#pragma once
#include "core/session/h5_util.h"
#include "core/session/session_types.h"

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace moewb {

using AnyArray = std::variant<Array<float>, Array<double>, Array<uint16_t>, Array<uint8_t>, Array<int32_t>,
    Array<int64_t>>;

class ArrayStore {
public:
    // Throws moewb::Error for an invalid name or data that does not match the shape.
    void put(const std::string& key, ElementType type, AnyArray values, CacheStamp stamp);
    const ArrayInfo* info(const std::string& key) const;
    std::vector<std::string> keys() const;
    std::vector<std::string> names(const std::string& section) const; // relative to "section/"
    void remove(const std::string& key) { m_entries.erase(key); }
    bool anyInFile() const;

    // From memory when not yet saved, else from `root` (the session file, opened by the caller).
    AnyArray read(const std::string& key, const h5::Node* root) const;
    bool inMemory(const std::string& key) const;

    void scan(const h5::Node& root); // lists the arrays of an opened session file
    // Writes arrays held in memory and copies the others from `oldRoot` (the previous file).
    void writeAll(const h5::Node& newRoot, const h5::Node* oldRoot) const;
    void markSaved(); // after a successful save: memory copies are dropped

private:
    struct Entry {
        ArrayInfo info;
        std::optional<AnyArray> data; // nullopt: in the session file
    };
    void scanGroup(const h5::Node& group, const std::string& prefix);
    std::map<std::string, Entry> m_entries;
};

} // namespace moewb
