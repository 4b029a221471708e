// Writing safetensors files and sharded checkpoint weights.
//
// Layout choices (any order is valid safetensors; ours is deterministic): tensors are written in the
// order given, data_offsets contiguous from 0; "__metadata__" comes first and always holds
// {"format": "pt"} (some transformers versions refuse files without it); the JSON is padded with
// spaces to a multiple of 8 bytes so the data section starts 8-aligned. Every file goes to a
// temporary sibling and is renamed into place only when everything has been written and fsynced.
#include "core/io/atomic_file.h"
#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_header.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <set>

namespace moewb {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

// Bytes a tensor must hold; throws naming `shown` and the tensor when the description is invalid.
uint64_t checkedBytes(const TensorEntry& tensor, const std::string& shown)
{
    if (tensor.name.empty())
        fail("{}: a tensor has an empty name", shown);
    if (tensor.name == "__metadata__")
        fail("{}: '__metadata__' is reserved and cannot name a tensor", shown);
    if (const auto bad = findInvalidUtf8(tensor.name))
        fail("{}: tensor name '{}' is not valid UTF-8 (byte {})", shown, tensor.name, *bad);
    uint64_t numel = 1;
    for (const int64_t dim : tensor.shape) {
        if (dim < 0)
            fail("{}: tensor '{}' shape {} has a negative dimension", shown, tensor.name,
                formatShape(tensor.shape));
        const auto d = static_cast<uint64_t>(dim);
        if (d != 0 && numel > std::numeric_limits<uint64_t>::max() / d)
            fail("{}: tensor '{}' shape {} has more than 2^64 elements", shown, tensor.name,
                formatShape(tensor.shape));
        numel *= d;
    }
    const auto needed = dtypeBytes(tensor.dtype, numel);
    if (!needed)
        fail("{}: tensor '{}' {} {} has no whole-byte size", shown, tensor.name, dtypeName(tensor.dtype),
            formatShape(tensor.shape));
    return *needed;
}

uint64_t checkedBytes(const TensorToWrite& tensor, const std::string& shown)
{
    const uint64_t needed = checkedBytes(TensorEntry{tensor.name, tensor.dtype, tensor.shape}, shown);
    if (tensor.data.size() != needed)
        fail("{}: tensor '{}' has {} bytes of data, but {} {} needs {}", shown, tensor.name,
            tensor.data.size(), dtypeName(tensor.dtype), formatShape(tensor.shape), needed);
    return needed;
}

void checkMetadata(const std::map<std::string, std::string>& metadata, const std::string& shown)
{
    for (const auto& [key, value] : metadata) {
        if (findInvalidUtf8(key) || findInvalidUtf8(value))
            fail("{}: metadata entry '{}' is not valid UTF-8", shown, key);
        if (key == "format" && value != "pt")
            fail("{}: metadata 'format' must be \"pt\" (got \"{}\")", shown, value);
    }
}

template <typename T> void checkUniqueNames(const std::vector<T>& tensors, const std::string& shown)
{
    std::set<std::string_view> names;
    for (const auto& tensor : tensors) {
        if (!names.insert(tensor.name).second)
            fail("{}: tensor '{}' is given twice", shown, tensor.name);
    }
}

// The 8-byte length prefix plus the padded JSON header, for tensors already validated.
std::string encodeHeader(
    const std::vector<const TensorEntry*>& tensors, const std::map<std::string, std::string>& metadata)
{
    ordered_json header = ordered_json::object();
    ordered_json meta = ordered_json::object();
    meta["format"] = "pt";
    for (const auto& [key, value] : metadata) {
        if (key != "format")
            meta[key] = value;
    }
    header["__metadata__"] = std::move(meta);
    uint64_t offset = 0;
    for (const TensorEntry* tensor : tensors) {
        const uint64_t end = offset + tensor->nbytes();
        header[tensor->name] = {
            {"dtype", dtypeName(tensor->dtype)}, {"shape", tensor->shape}, {"data_offsets", {offset, end}}};
        offset = end;
    }
    std::string text = header.dump(-1, ' ', false, json::error_handler_t::strict);
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string out(8, '\0');
    uint64_t n = text.size();
    for (int i = 0; i < 8; ++i, n >>= 8)
        out[i] = static_cast<char>(n & 0xffu);
    return out + text;
}

// Writes one safetensors file of already validated tensors into `file` (not committed).
void writeTo(AtomicFile& file, const std::vector<const TensorToWrite*>& tensors,
    const std::map<std::string, std::string>& metadata)
{
    std::vector<TensorEntry> entries;
    entries.reserve(tensors.size());
    for (const TensorToWrite* tensor : tensors)
        entries.push_back({tensor->name, tensor->dtype, tensor->shape});
    std::vector<const TensorEntry*> pointers;
    for (const auto& entry : entries)
        pointers.push_back(&entry);
    file.write(encodeHeader(pointers, metadata));
    for (const TensorToWrite* tensor : tensors)
        file.write(tensor->data);
}

std::vector<const TensorToWrite*> pointers(const std::vector<TensorToWrite>& tensors)
{
    std::vector<const TensorToWrite*> out;
    out.reserve(tensors.size());
    for (const auto& tensor : tensors)
        out.push_back(&tensor);
    return out;
}

} // namespace

void writeSafetensors(const fs::path& path, const std::vector<TensorToWrite>& tensors,
    const std::map<std::string, std::string>& metadata)
{
    const std::string shown = path.string();
    checkMetadata(metadata, shown);
    checkUniqueNames(tensors, shown);
    for (const auto& tensor : tensors)
        checkedBytes(tensor, shown);
    AtomicFile file(path);
    writeTo(file, pointers(tensors), metadata);
    file.commit();
}

uint64_t TensorEntry::nbytes() const
{
    uint64_t numel = 1;
    for (const int64_t dim : shape)
        numel *= static_cast<uint64_t>(dim);
    return dtypeBytes(dtype, numel).value_or(0);
}

std::vector<CheckpointShard> layoutShards(const std::vector<TensorEntry>& tensors, uint64_t shardSizeBytes)
{
    // Greedy sharding in the given order: start a new shard when the next tensor would push a
    // non-empty shard past the limit; a tensor larger than the limit gets a shard of its own.
    std::vector<CheckpointShard> shards(1);
    for (size_t i = 0; i < tensors.size(); ++i) {
        const uint64_t bytes = tensors[i].nbytes();
        if (shardSizeBytes > 0 && !shards.back().tensors.empty() && shards.back().bytes + bytes > shardSizeBytes)
            shards.emplace_back();
        shards.back().tensors.push_back(i);
        shards.back().bytes += bytes;
    }
    for (size_t i = 0; i < shards.size(); ++i)
        shards[i].file = shards.size() == 1 ? std::string(kSingleFile)
                                            : fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
    return shards;
}

CheckpointWeightsWriter::CheckpointWeightsWriter(
    fs::path directory, std::vector<TensorEntry> manifest, const WriteOptions& options)
    : m_directory(std::move(directory))
    , m_manifest(std::move(manifest))
    , m_metadata(options.metadata)
{
    const std::string shown = m_directory.string();
    std::error_code ec;
    if (!fs::is_directory(m_directory, ec))
        fail("{}: not an existing folder", shown);
    // Refuse to mix with weights already there: a stale model.safetensors next to a new index (or
    // an old shard next to new ones) would make the folder load something other than what we wrote.
    for (const auto& entry : fs::directory_iterator(m_directory, ec)) {
        const std::string file = entry.path().filename().string();
        if (file == kIndexFile || entry.path().extension() == ".safetensors")
            fail("{}: already holds weights ({}); write into an empty folder", shown, file);
    }
    if (ec)
        fail("{}: cannot list the folder: {}", shown, ec.message());
    checkMetadata(m_metadata, shown);
    checkUniqueNames(m_manifest, shown);
    for (const auto& tensor : m_manifest) {
        const uint64_t bytes = checkedBytes(tensor, shown);
        if (m_totalBytes > std::numeric_limits<uint64_t>::max() - bytes)
            fail("{}: the tensors exceed 2^64 bytes", shown);
        m_totalBytes += bytes;
    }
    m_shards = layoutShards(m_manifest, options.shardSizeBytes);
    if (m_shards.size() > 99999)
        fail("{}: {} shards exceed the 5-digit shard numbering; raise the shard size", shown, m_shards.size());
}

CheckpointWeightsWriter::~CheckpointWeightsWriter() = default; // uncommitted files remove themselves

const TensorEntry* CheckpointWeightsWriter::next() const
{
    return m_next < m_manifest.size() ? &m_manifest[m_next] : nullptr;
}

void CheckpointWeightsWriter::write(const std::string& name, std::span<const std::byte> data)
{
    const std::string shown = m_directory.string();
    const TensorEntry* expected = next();
    if (!expected)
        fail("{}: tensor '{}' given after every listed tensor was written", shown, name);
    if (name != expected->name)
        fail("{}: tensor '{}' given where '{}' was expected next", shown, name, expected->name);
    if (data.size() != expected->nbytes())
        fail("{}: tensor '{}' has {} bytes of data, but {} {} needs {}", shown, name, data.size(),
            dtypeName(expected->dtype), formatShape(expected->shape), expected->nbytes());
    CheckpointShard& shard = m_shards[m_shard];
    if (m_files.size() == m_shard) { // the shard's first tensor: create it and write its header
        m_files.push_back(std::make_unique<AtomicFile>(m_directory / shard.file));
        std::vector<const TensorEntry*> entries;
        for (size_t i : shard.tensors)
            entries.push_back(&m_manifest[i]);
        m_files.back()->write(encodeHeader(entries, m_metadata));
    }
    m_files.back()->write(data);
    m_written += data.size();
    ++m_next;
    if (m_next == shard.tensors.back() + 1) { // shard complete
        m_files.back()->finish();
        ++m_shard;
    }
}

std::vector<fs::path> CheckpointWeightsWriter::commit()
{
    const std::string shown = m_directory.string();
    if (m_next != m_manifest.size())
        fail("{}: {} of {} tensors written; the checkpoint is incomplete", shown, m_next, m_manifest.size());
    if (m_manifest.empty()) { // an empty checkpoint is one file with a header only
        m_files.push_back(std::make_unique<AtomicFile>(m_directory / kSingleFile));
        m_files.back()->write(encodeHeader({}, m_metadata));
        m_files.back()->finish();
    }
    if (m_shards.size() > 1) {
        json weightMap = json::object();
        for (const auto& shard : m_shards)
            for (size_t i : shard.tensors)
                weightMap[m_manifest[i].name] = shard.file;
        const json index = {{"metadata", {{"total_size", m_totalBytes}}}, {"weight_map", std::move(weightMap)}};
        m_files.push_back(std::make_unique<AtomicFile>(m_directory / kIndexFile));
        m_files.back()->write(index.dump(2, ' ', false, json::error_handler_t::strict) + "\n");
        m_files.back()->finish();
    }
    // Everything is on disk under temporary names; rename into place, index last. If a rename
    // fails, take back the ones already renamed (the folder held no weights before) so no partial
    // checkpoint remains.
    std::vector<fs::path> written;
    std::error_code ec;
    try {
        for (auto& file : m_files) {
            file->commit();
            written.push_back(file->target());
        }
    } catch (...) {
        for (const auto& path : written)
            fs::remove(path, ec);
        throw;
    }
    return written;
}

std::vector<fs::path> writeCheckpointWeights(
    const fs::path& directory, const std::vector<TensorToWrite>& tensors, const WriteOptions& options)
{
    const std::string shown = directory.string();
    std::vector<TensorEntry> manifest;
    manifest.reserve(tensors.size());
    for (const auto& tensor : tensors) {
        checkedBytes(tensor, shown);
        manifest.push_back({tensor.name, tensor.dtype, tensor.shape});
    }
    CheckpointWeightsWriter writer(directory, std::move(manifest), options);
    for (const auto& tensor : tensors)
        writer.write(tensor.name, tensor.data);
    return writer.commit();
}

} // namespace moewb
