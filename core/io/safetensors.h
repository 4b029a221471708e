// safetensors files: read through a read-only mmap, lazily per tensor; written to a temporary
// sibling and renamed into place. Format and rejection rules: shared/docs/checkpoints.md.
#pragma once
#include "core/io/dtype.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace moewb {

class AtomicFile;

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t dataBegin = 0;  // byte offset relative to the data section
    uint64_t dataEnd = 0;
    uint64_t numel() const;
    uint64_t nbytes() const { return dataEnd - dataBegin; }
};

// One .safetensors file, mapped read-only. Opening validates the whole header (every rule in
// checkpoints.md) and throws moewb::Error naming the file and the problem.
class SafetensorsFile {
public:
    static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    uint64_t fileSize() const { return m_fileSize; }
    uint64_t headerSize() const { return m_headerSize; }  // N, the JSON length
    // The first 8 + N bytes: length prefix and JSON header (what the identity hash covers).
    std::span<const std::byte> headerBytes() const;
    const std::vector<TensorInfo>& tensors() const { return m_tensors; }
    const TensorInfo* find(const std::string& name) const;  // nullptr when absent
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

    // Raw bytes of a tensor inside the mapping (may be unaligned).
    std::span<const std::byte> bytes(const TensorInfo& info) const;
    // Streaming hints: prefetch a tensor's pages, or drop them from this process's RSS.
    void willNeed(const TensorInfo& info) const;
    void release(const TensorInfo& info) const;

private:
    SafetensorsFile() = default;
    std::filesystem::path m_path;
    uint64_t m_fileSize = 0;
    uint64_t m_headerSize = 0;
    const std::byte* m_map = nullptr;  // whole file
    std::vector<TensorInfo> m_tensors;
    std::map<std::string, size_t> m_index;
    std::map<std::string, std::string> m_metadata;
};

// A checkpoint's weights: a single model.safetensors, a sharded set listed in
// model.safetensors.index.json, or one .safetensors file given directly.
class Checkpoint {
public:
    // `path` is a folder (config.json + weights) or a .safetensors file.
    static std::unique_ptr<Checkpoint> open(const std::filesystem::path& path);

    const std::filesystem::path& directory() const { return m_directory; }
    std::vector<std::string> names() const;  // sorted
    bool contains(const std::string& name) const;
    // Throws moewb::Error ("<dir>: tensor 'x' not found") when absent.
    const TensorInfo& info(const std::string& name) const;
    const SafetensorsFile& fileOf(const std::string& name) const;
    std::span<const std::byte> bytes(const std::string& name) const;
    void release(const std::string& name) const;
    const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return m_files; }
    uint64_t totalBytes() const;
    // Identity: hash over every file's name, size and header bytes (fast; not every byte).
    std::string identityHash() const;

private:
    std::filesystem::path m_directory;
    std::vector<std::unique_ptr<SafetensorsFile>> m_files;
    std::map<std::string, size_t> m_fileOfTensor;
};

// A tensor to write. `data` must hold exactly dtypeBytes(dtype, numel(shape)) bytes.
struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::span<const std::byte> data;
};

struct WriteOptions {
    std::map<std::string, std::string> metadata;  // "format":"pt" is always added
    uint64_t shardSizeBytes = 0;                  // 0 = one file
};

// A tensor to write, without its data: what the streaming writer lays out before any bytes exist.
struct TensorEntry {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t nbytes() const; // 0 for sizes dtypeBytes cannot express
};

// One weights file of a checkpoint and the manifest indices of the tensors it holds.
struct CheckpointShard {
    std::string file; // "model.safetensors" or "model-00001-of-00003.safetensors"
    std::vector<size_t> tensors;
    uint64_t bytes = 0; // tensor data, without the header
};
// How writeCheckpointWeights / CheckpointWeightsWriter split `tensors` into files: greedily in order,
// a new shard when the next tensor would push a non-empty one past `shardSizeBytes` (0 = one file).
std::vector<CheckpointShard> layoutShards(const std::vector<TensorEntry>& tensors, uint64_t shardSizeBytes);

// Writes checkpoint weights one tensor at a time, in manifest order, so only the tensor being
// written needs to be in memory: shards are laid out from the manifest up front, each is written
// to a temporary sibling (header first) and all are renamed into place, index last, by commit().
// Destroyed before commit(), it removes everything it wrote. Validates like writeCheckpointWeights.
class CheckpointWeightsWriter {
public:
    CheckpointWeightsWriter(std::filesystem::path directory, std::vector<TensorEntry> manifest,
                            const WriteOptions& options = {});
    ~CheckpointWeightsWriter();
    CheckpointWeightsWriter(const CheckpointWeightsWriter&) = delete;
    CheckpointWeightsWriter& operator=(const CheckpointWeightsWriter&) = delete;

    const std::vector<TensorEntry>& manifest() const { return m_manifest; }
    const std::vector<CheckpointShard>& shards() const { return m_shards; }
    uint64_t totalBytes() const { return m_totalBytes; }
    uint64_t bytesWritten() const { return m_written; }
    const TensorEntry* next() const; // the tensor write() expects next; nullptr when done
    // `name` must be next()'s and `data` exactly its bytes; throws moewb::Error otherwise.
    void write(const std::string& name, std::span<const std::byte> data);
    // Renames every file into place (index last); returns them. Throws when tensors are missing.
    std::vector<std::filesystem::path> commit();

private:
    std::filesystem::path m_directory;
    std::vector<TensorEntry> m_manifest;
    std::map<std::string, std::string> m_metadata;
    std::vector<CheckpointShard> m_shards;
    std::vector<std::unique_ptr<AtomicFile>> m_files;
    uint64_t m_totalBytes = 0, m_written = 0;
    size_t m_next = 0, m_shard = 0;
};

// Writes one .safetensors file atomically (temporary sibling, fsync, rename).
void writeSafetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Writes model.safetensors, or model-0000i-of-0000N.safetensors shards plus
// model.safetensors.index.json when the tensors exceed shardSizeBytes, into an existing folder.
// Returns the files written.
std::vector<std::filesystem::path> writeCheckpointWeights(const std::filesystem::path& directory,
                                                          const std::vector<TensorToWrite>& tensors,
                                                          const WriteOptions& options = {});

} // namespace moewb
