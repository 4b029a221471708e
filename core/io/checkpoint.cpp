// A checkpoint's weights: which safetensors files make it up, and which file holds each tensor.
//
// Folder resolution follows transformers: model.safetensors wins over model.safetensors.index.json
// when both exist. A folder with neither but exactly one .safetensors file uses that file; several
// without an index are an error (nothing says which belong together).
//
// The index and the shards must agree exactly: every shard listed must exist, every tensor listed
// must be in its shard, and a tensor found in a shard but not listed in the index is an error too
// (not a warning), because an export or a compression run must not silently drop or pick weights.
//
// identityHash: FNV-1a 64 over, for each file in name order, its file name (not the folder, so a
// moved checkpoint keeps its identity), a NUL, its size as 8 little-endian bytes, and its first 8 + N
// bytes (length prefix and JSON header). Headers carry every tensor's name, dtype, shape and
// offsets, so this is fast and changes whenever the layout does; it does not read tensor bytes, and
// it is an identity check, not a defence against deliberate collisions.
#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_header.h"

#include <algorithm>
#include <set>

namespace moewb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr uint64_t kMaxIndexBytes = 128ull << 20; // 128 MiB

std::string readIndex(const fs::path& path)
{
    return readWholeFile(path, kMaxIndexBytes, "safetensors index");
}

class Fnv1a64 {
public:
    void add(std::span<const std::byte> bytes)
    {
        for (const std::byte b : bytes) {
            m_hash ^= std::to_integer<uint64_t>(b);
            m_hash *= 0x100000001b3ull;
        }
    }
    void add(std::string_view text) { add(std::as_bytes(std::span<const char>(text.data(), text.size()))); }
    void add(uint64_t value)
    {
        std::byte le[8];
        for (auto& b : le) {
            b = static_cast<std::byte>(value & 0xffu);
            value >>= 8;
        }
        add(std::span<const std::byte>(le, 8));
    }
    uint64_t value() const { return m_hash; }

private:
    uint64_t m_hash = 0xcbf29ce484222325ull;
};

} // namespace

std::unique_ptr<Checkpoint> Checkpoint::open(const fs::path& path)
{
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status))
        fail("{}: no such file or folder", path.string());

    auto checkpoint = std::make_unique<Checkpoint>();
    auto addFile = [&](std::unique_ptr<SafetensorsFile> file) {
        const size_t index = checkpoint->m_files.size();
        for (const auto& info : file->tensors())
            checkpoint->m_fileOfTensor.emplace(info.name, index);
        checkpoint->m_files.push_back(std::move(file));
    };

    if (fs::is_regular_file(status)) {
        if (path.extension() != ".safetensors")
            fail("{}: not a .safetensors file or a checkpoint folder", path.string());
        checkpoint->m_directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
        addFile(SafetensorsFile::open(path));
        return checkpoint;
    }
    if (!fs::is_directory(status))
        fail("{}: not a .safetensors file or a checkpoint folder", path.string());
    checkpoint->m_directory = path;

    if (fs::exists(path / kSingleFile, ec)) {
        addFile(SafetensorsFile::open(path / kSingleFile));
        return checkpoint;
    }

    const fs::path indexPath = path / kIndexFile;
    if (!fs::exists(indexPath, ec)) {
        std::vector<fs::path> candidates;
        for (const auto& entry : fs::directory_iterator(path, ec)) {
            if (entry.path().extension() == ".safetensors" && entry.is_regular_file(ec))
                candidates.push_back(entry.path());
        }
        if (ec)
            fail("{}: cannot list the folder: {}", path.string(), ec.message());
        if (candidates.empty())
            fail("{}: no weights found (expected {} or {})", path.string(), kSingleFile, kIndexFile);
        if (candidates.size() > 1) {
            std::sort(candidates.begin(), candidates.end());
            fail("{}: {} .safetensors files ({}, {}, ...) but no {} to say which belong together",
                path.string(), candidates.size(), candidates[0].filename().string(),
                candidates[1].filename().string(), kIndexFile);
        }
        addFile(SafetensorsFile::open(candidates.front()));
        return checkpoint;
    }

    const SafetensorsIndex index = parseSafetensorsIndex(readIndex(indexPath), indexPath.string());
    if (index.weightMap.empty())
        fail("{}: weight_map lists no tensors", indexPath.string());
    std::set<std::string> shards;
    for (const auto& [tensor, shard] : index.weightMap)
        shards.insert(shard);
    for (const auto& shard : shards) {
        if (!fs::is_regular_file(path / shard, ec))
            fail("{}: shard '{}' listed in {} does not exist", (path / shard).string(), shard,
                indexPath.string());
    }
    std::map<std::string, size_t> fileOfShard;
    for (const auto& shard : shards) {
        fileOfShard.emplace(shard, checkpoint->m_files.size());
        checkpoint->m_files.push_back(SafetensorsFile::open(path / shard));
    }
    for (const auto& [tensor, shard] : index.weightMap) {
        const size_t file = fileOfShard.at(shard);
        if (!checkpoint->m_files[file]->find(tensor))
            fail("{}: tensor '{}' is mapped to shard '{}', which does not contain it", indexPath.string(),
                tensor, shard);
        checkpoint->m_fileOfTensor.emplace(tensor, file);
    }
    for (const auto& file : checkpoint->m_files) {
        const std::string shard = file->path().filename().string();
        for (const auto& info : file->tensors()) {
            const auto it = index.weightMap.find(info.name);
            if (it == index.weightMap.end())
                fail("{}: tensor '{}' is not listed in {} (the index and the shards disagree)",
                    file->path().string(), info.name, indexPath.string());
            if (it->second != shard)
                fail("{}: tensor '{}' is also stored here, but {} maps it to '{}'", file->path().string(),
                    info.name, indexPath.string(), it->second);
        }
    }
    return checkpoint;
}

std::vector<std::string> Checkpoint::names() const
{
    std::vector<std::string> out;
    out.reserve(m_fileOfTensor.size());
    for (const auto& [name, file] : m_fileOfTensor)
        out.push_back(name);
    return out;
}

bool Checkpoint::contains(const std::string& name) const
{
    return m_fileOfTensor.count(name) > 0;
}

const SafetensorsFile& Checkpoint::fileOf(const std::string& name) const
{
    const auto it = m_fileOfTensor.find(name);
    if (it == m_fileOfTensor.end())
        fail("{}: tensor '{}' not found", m_directory.string(), name);
    return *m_files[it->second];
}

const TensorInfo& Checkpoint::info(const std::string& name) const
{
    const TensorInfo* info = fileOf(name).find(name);
    if (!info) // cannot happen: open() checked every mapping
        fail("{}: tensor '{}' not found", m_directory.string(), name);
    return *info;
}

std::span<const std::byte> Checkpoint::bytes(const std::string& name) const
{
    const SafetensorsFile& file = fileOf(name);
    return file.bytes(info(name));
}

void Checkpoint::release(const std::string& name) const
{
    const SafetensorsFile& file = fileOf(name);
    file.release(info(name));
}

uint64_t Checkpoint::totalBytes() const
{
    uint64_t total = 0;
    for (const auto& [name, file] : m_fileOfTensor)
        total += m_files[file]->find(name)->nbytes();
    return total;
}

std::string Checkpoint::identityHash() const
{
    std::vector<const SafetensorsFile*> files;
    for (const auto& file : m_files)
        files.push_back(file.get());
    std::sort(files.begin(), files.end(), [](const SafetensorsFile* a, const SafetensorsFile* b) {
        return a->path().filename() < b->path().filename();
    });
    Fnv1a64 hash;
    for (const SafetensorsFile* file : files) {
        hash.add(file->path().filename().string());
        hash.add(std::string_view("\0", 1));
        hash.add(file->fileSize());
        hash.add(file->headerBytes());
    }
    return fmt::format("{:016x}", hash.value());
}

} // namespace moewb
