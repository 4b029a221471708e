// Reading safetensors: header validation (from memory, so the fuzzer can drive it) and the mapped
// SafetensorsFile.
//
// Rules mirror the reference implementation (huggingface/safetensors, Metadata::validate): tensor
// order inside the JSON object is not significant; tensors sorted by data_offsets must cover the
// data section exactly, from 0, without gaps or overlaps, and the last one must end where the file
// ends — trailing bytes after the last tensor are rejected (the reference's MetadataIncompleteBuffer).
// Stricter than the reference: duplicate keys anywhere in the header are errors (serde/nlohmann
// would silently keep one), and so is JSON nesting deeper than kMaxJsonDepth (strict_json.h).
// Unknown keys inside a tensor entry are ignored, as the reference does. "Unsorted" offsets can only
// mean an entry whose end precedes its begin; any other disorder shows up as a gap or an overlap.
#include "core/io/error.h"
#include "core/io/mapped_file.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_header.h"
#include "core/io/strict_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace moewb {

namespace {

using nlohmann::json;

uint64_t readLe64(const std::byte* p)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
        value = (value << 8) | std::to_integer<uint64_t>(p[i]);
    return value;
}

std::string jsonText(const json& value)
{
    // Values come from a header that may hold anything; keep messages short and printable.
    std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
    if (text.size() > 60)
        text = text.substr(0, 57) + "...";
    return text;
}

std::vector<int64_t> parseShape(const json& shape, const std::string& name, const std::string& tensor)
{
    if (!shape.is_array())
        fail("{}: tensor '{}' shape is {}, not an array of integers", name, tensor, jsonText(shape));
    std::vector<int64_t> dims;
    dims.reserve(shape.size());
    for (const auto& dim : shape) {
        if (dim.is_number_unsigned()) {
            const auto value = dim.get<uint64_t>();
            if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                fail("{}: tensor '{}' shape {} has a dimension larger than 2^63-1", name, tensor,
                    jsonText(shape));
            dims.push_back(static_cast<int64_t>(value));
        } else if (dim.is_number_integer()) {
            fail("{}: tensor '{}' shape {} has a negative dimension", name, tensor, jsonText(shape));
        } else {
            fail("{}: tensor '{}' shape {} holds {}, not an integer", name, tensor, jsonText(shape),
                jsonText(dim));
        }
    }
    return dims;
}

TensorInfo parseTensor(const std::string& tensor, const json& entry, const std::string& name)
{
    if (!entry.is_object())
        fail("{}: tensor '{}' is described by {}, not an object with dtype, shape and data_offsets", name,
            tensor, jsonText(entry));
    const auto field = [&](const char* key) -> const json& {
        const auto it = entry.find(key);
        if (it == entry.end())
            fail("{}: tensor '{}' has no '{}'", name, tensor, key);
        return *it;
    };

    TensorInfo info;
    info.name = tensor;
    const json& dtype = field("dtype");
    if (!dtype.is_string())
        fail("{}: tensor '{}' dtype is {}, not a string", name, tensor, jsonText(dtype));
    const auto parsed = parseDType(dtype.get_ref<const std::string&>());
    if (!parsed)
        fail("{}: tensor '{}' has unknown dtype {}", name, tensor, jsonText(dtype));
    info.dtype = *parsed;
    info.shape = parseShape(field("shape"), name, tensor);

    const json& offsets = field("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2)
        fail("{}: tensor '{}' data_offsets is {}, not [begin, end]", name, tensor, jsonText(offsets));
    for (const auto& offset : offsets) {
        if (!offset.is_number_unsigned())
            fail("{}: tensor '{}' data_offsets {} must be two non-negative integers", name, tensor,
                jsonText(offsets));
    }
    info.dataBegin = offsets[0].get<uint64_t>();
    info.dataEnd = offsets[1].get<uint64_t>();
    if (info.dataEnd < info.dataBegin)
        fail("{}: tensor '{}' data_offsets [{},{}] end before they begin", name, tensor, info.dataBegin,
            info.dataEnd);

    uint64_t numel = 1;
    for (const int64_t dim : info.shape) {
        const auto d = static_cast<uint64_t>(dim);
        if (d != 0 && numel > std::numeric_limits<uint64_t>::max() / d)
            fail("{}: tensor '{}' shape {} has more than 2^64 elements", name, tensor,
                formatShape(info.shape));
        numel *= d;
    }
    const auto needed = dtypeBytes(info.dtype, numel);
    if (!needed) {
        if (dtypeSize(info.dtype) == 0)
            fail("{}: tensor '{}' {} {} does not fill a whole number of bytes", name, tensor,
                dtypeName(info.dtype), formatShape(info.shape));
        fail("{}: tensor '{}' {} {} needs more than 2^64 bytes", name, tensor, dtypeName(info.dtype),
            formatShape(info.shape));
    }
    if (info.nbytes() != *needed)
        fail("{}: tensor '{}' data_offsets [{},{}] hold {} bytes, but {} {} needs {}", name, tensor,
            info.dataBegin, info.dataEnd, info.nbytes(), dtypeName(info.dtype), formatShape(info.shape),
            *needed);
    return info;
}

} // namespace

std::optional<size_t> findInvalidUtf8(std::string_view text)
{
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        const unsigned c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t length;
        unsigned low = 0x80, high = 0xbf; // allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) {
            length = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            length = 3;
            if (c == 0xe0)
                low = 0xa0; // overlong
            if (c == 0xed)
                high = 0x9f; // surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            length = 4;
            if (c == 0xf0)
                low = 0x90; // overlong
            if (c == 0xf4)
                high = 0x8f; // above U+10FFFF
        } else {
            return i;
        }
        if (n - i < length)
            return i;
        if (s[i + 1] < low || s[i + 1] > high)
            return i;
        for (size_t k = 2; k < length; ++k) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return i;
        }
        i += length;
    }
    return std::nullopt;
}

std::string formatShape(const std::vector<int64_t>& shape)
{
    return fmt::format("[{}]", fmt::join(shape, ","));
}

uint64_t TensorInfo::numel() const
{
    uint64_t n = 1;
    for (const int64_t dim : shape)
        n *= static_cast<uint64_t>(dim);
    return n;
}

SafetensorsHeader parseSafetensorsHeader(std::span<const std::byte> file, const std::string& name)
{
    const uint64_t fileSize = file.size();
    if (fileSize == 0)
        fail("{}: file is empty, not a safetensors file", name);
    if (fileSize < 8)
        fail("{}: file is {} bytes, too short for the 8-byte header length of a safetensors file", name,
            fileSize);

    SafetensorsHeader header;
    header.headerSize = readLe64(file.data());
    if (header.headerSize > kMaxSafetensorsHeaderBytes)
        fail("{}: header length {} exceeds the limit of {} bytes (not a safetensors file, or corrupt)", name,
            header.headerSize, kMaxSafetensorsHeaderBytes);
    if (header.headerSize > fileSize - 8)
        fail("{}: header length {} runs past the end of the file ({} bytes; truncated?)", name,
            header.headerSize, fileSize);
    const uint64_t dataSize = fileSize - 8 - header.headerSize;

    const std::string_view text(reinterpret_cast<const char*>(file.data()) + 8, header.headerSize);
    const json root = parseStrictJson(text, name, "header", kMaxJsonDepth);
    if (!root.is_object())
        fail("{}: header is {}, not a JSON object", name, jsonText(root));

    for (const auto& [key, value] : root.items()) {
        if (key == "__metadata__") {
            if (value.is_null())
                continue;
            if (!value.is_object())
                fail("{}: __metadata__ is {}, not an object of strings", name, jsonText(value));
            for (const auto& [metaKey, metaValue] : value.items()) {
                if (!metaValue.is_string())
                    fail("{}: __metadata__ value for '{}' is {}, not a string", name, metaKey,
                        jsonText(metaValue));
                header.metadata.emplace(metaKey, metaValue.get<std::string>());
            }
            continue;
        }
        TensorInfo info = parseTensor(key, value, name);
        if (info.dataEnd > dataSize)
            fail("{}: tensor '{}' data_offsets [{},{}] reach past the end of the data section ({} bytes; "
                 "truncated file?)",
                name, key, info.dataBegin, info.dataEnd, dataSize);
        header.tensors.push_back(std::move(info));
    }

    std::sort(header.tensors.begin(), header.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
        if (a.dataBegin != b.dataBegin)
            return a.dataBegin < b.dataBegin;
        if (a.dataEnd != b.dataEnd)
            return a.dataEnd < b.dataEnd;
        return a.name < b.name;
    });
    uint64_t covered = 0;
    const TensorInfo* previous = nullptr;
    for (const auto& info : header.tensors) {
        if (info.dataBegin < covered)
            fail("{}: tensor '{}' data_offsets [{},{}] overlap tensor '{}' [{},{}]", name, info.name,
                info.dataBegin, info.dataEnd, previous->name, previous->dataBegin, previous->dataEnd);
        if (info.dataBegin > covered) {
            if (!previous)
                fail("{}: the first tensor '{}' starts at data offset {}, not 0", name, info.name,
                    info.dataBegin);
            fail("{}: {} unused bytes between tensor '{}' (ends at {}) and tensor '{}' (starts at {})", name,
                info.dataBegin - covered, previous->name, covered, info.name, info.dataBegin);
        }
        covered = info.dataEnd;
        previous = &info;
    }
    if (covered != dataSize)
        fail("{}: the data section holds {} bytes but the tensors cover {} ({} trailing bytes)", name,
            dataSize, covered, dataSize - covered);
    return header;
}

SafetensorsIndex parseSafetensorsIndex(std::string_view text, const std::string& name)
{
    const json root = parseStrictJson(text, name, "index", kMaxJsonDepth);
    if (!root.is_object())
        fail("{}: index is {}, not a JSON object", name, jsonText(root));
    SafetensorsIndex index;
    if (const auto meta = root.find("metadata"); meta != root.end() && !meta->is_null()) {
        if (!meta->is_object())
            fail("{}: 'metadata' is {}, not an object", name, jsonText(*meta));
        if (const auto total = meta->find("total_size"); total != meta->end() && total->is_number_unsigned())
            index.totalSize = total->get<uint64_t>();
    }
    const auto map = root.find("weight_map");
    if (map == root.end())
        fail("{}: index has no 'weight_map'", name);
    if (!map->is_object())
        fail("{}: 'weight_map' is {}, not an object of tensor names to shard files", name, jsonText(*map));
    for (const auto& [tensor, shard] : map->items()) {
        if (!shard.is_string())
            fail(
                "{}: weight_map entry for tensor '{}' is {}, not a file name", name, tensor, jsonText(shard));
        const auto& file = shard.get_ref<const std::string&>();
        if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos
            || file.find('\0') != std::string::npos)
            fail("{}: weight_map entry for tensor '{}' is {}, not a file name in the checkpoint folder", name,
                tensor, jsonText(shard));
        index.weightMap.emplace(tensor, file);
    }
    return index;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path)
{
    MappedFile mapped = MappedFile::open(path);
    SafetensorsHeader header = parseSafetensorsHeader(mapped.bytes(), path.string());
    std::unique_ptr<SafetensorsFile> file(new SafetensorsFile);
    file->m_path = path;
    file->m_headerSize = header.headerSize;
    file->m_tensors = std::move(header.tensors);
    file->m_metadata = std::move(header.metadata);
    for (size_t i = 0; i < file->m_tensors.size(); ++i)
        file->m_index.emplace(file->m_tensors[i].name, i);
    file->m_fileSize = mapped.size();
    file->m_map = mapped.release();
    return file;
}

SafetensorsFile::~SafetensorsFile()
{
    MappedFile::unmap(m_map, m_fileSize);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const
{
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

std::span<const std::byte> SafetensorsFile::headerBytes() const
{
    return {m_map, static_cast<size_t>(8 + m_headerSize)};
}

std::span<const std::byte> SafetensorsFile::bytes(const TensorInfo& info) const
{
    const uint64_t dataSize = m_fileSize - 8 - m_headerSize;
    if (info.dataBegin > info.dataEnd || info.dataEnd > dataSize)
        fail("{}: tensor '{}' data_offsets [{},{}] are outside this file's data section ({} bytes)",
            m_path.string(), info.name, info.dataBegin, info.dataEnd, dataSize);
    return {m_map + 8 + m_headerSize + info.dataBegin, static_cast<size_t>(info.nbytes())};
}

void SafetensorsFile::willNeed(const TensorInfo& info) const
{
    MappedFile::willNeed(m_map, m_fileSize, 8 + m_headerSize + info.dataBegin, info.nbytes());
}

void SafetensorsFile::release(const TensorInfo& info) const
{
    MappedFile::dontNeed(m_map, m_fileSize, 8 + m_headerSize + info.dataBegin, info.nbytes());
}

} // namespace moewb
