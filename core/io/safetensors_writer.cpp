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
uint64_t checkedBytes(const TensorToWrite& tensor, const std::string& shown)
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
    if (tensor.data.size() != *needed)
        fail("{}: tensor '{}' has {} bytes of data, but {} {} needs {}", shown, tensor.name,
            tensor.data.size(), dtypeName(tensor.dtype), formatShape(tensor.shape), *needed);
    return *needed;
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

void checkUniqueNames(const std::vector<TensorToWrite>& tensors, const std::string& shown)
{
    std::set<std::string_view> names;
    for (const auto& tensor : tensors) {
        if (!names.insert(tensor.name).second)
            fail("{}: tensor '{}' is given twice", shown, tensor.name);
    }
}

// The 8-byte length prefix plus the padded JSON header, for tensors already validated.
std::string encodeHeader(
    const std::vector<const TensorToWrite*>& tensors, const std::map<std::string, std::string>& metadata)
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
    for (const TensorToWrite* tensor : tensors) {
        const uint64_t end = offset + tensor->data.size();
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
    file.write(encodeHeader(tensors, metadata));
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

std::vector<fs::path> writeCheckpointWeights(
    const fs::path& directory, const std::vector<TensorToWrite>& tensors, const WriteOptions& options)
{
    const std::string shown = directory.string();
    std::error_code ec;
    if (!fs::is_directory(directory, ec))
        fail("{}: not an existing folder", shown);
    // Refuse to mix with weights already there: a stale model.safetensors next to a new index (or
    // an old shard next to new ones) would make the folder load something other than what we wrote.
    for (const auto& entry : fs::directory_iterator(directory, ec)) {
        const std::string file = entry.path().filename().string();
        if (file == kIndexFile || entry.path().extension() == ".safetensors")
            fail("{}: already holds weights ({}); write into an empty folder", shown, file);
    }
    if (ec)
        fail("{}: cannot list the folder: {}", shown, ec.message());
    checkMetadata(options.metadata, shown);
    checkUniqueNames(tensors, shown);

    // Greedy sharding in the given order: start a new shard when the next tensor would push a
    // non-empty shard past the limit; a tensor larger than the limit gets a shard of its own.
    std::vector<std::vector<const TensorToWrite*>> shards(1);
    uint64_t shardBytes = 0;
    uint64_t totalBytes = 0;
    for (const auto& tensor : tensors) {
        const uint64_t bytes = checkedBytes(tensor, shown);
        totalBytes += bytes;
        if (options.shardSizeBytes > 0 && !shards.back().empty()
            && shardBytes + bytes > options.shardSizeBytes) {
            shards.emplace_back();
            shardBytes = 0;
        }
        shards.back().push_back(&tensor);
        shardBytes += bytes;
    }

    std::vector<std::unique_ptr<AtomicFile>> files;
    if (shards.size() == 1) {
        files.push_back(std::make_unique<AtomicFile>(directory / kSingleFile));
        writeTo(*files.back(), shards.front(), options.metadata);
        files.back()->finish();
    } else {
        if (shards.size() > 99999)
            fail("{}: {} shards exceed the 5-digit shard numbering; raise the shard size", shown,
                shards.size());
        json weightMap = json::object();
        for (size_t i = 0; i < shards.size(); ++i) {
            const std::string name = fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
            files.push_back(std::make_unique<AtomicFile>(directory / name));
            writeTo(*files.back(), shards[i], options.metadata);
            files.back()->finish();
            for (const TensorToWrite* tensor : shards[i])
                weightMap[tensor->name] = name;
        }
        const json index = {{"metadata", {{"total_size", totalBytes}}}, {"weight_map", std::move(weightMap)}};
        files.push_back(std::make_unique<AtomicFile>(directory / kIndexFile));
        files.back()->write(index.dump(2, ' ', false, json::error_handler_t::strict) + "\n");
        files.back()->finish();
    }

    // Everything is on disk under temporary names; rename into place, index last. If a rename
    // fails, take back the ones already renamed (the folder held no weights before) so no partial
    // checkpoint remains.
    std::vector<fs::path> written;
    try {
        for (auto& file : files) {
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

} // namespace moewb
