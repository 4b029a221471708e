// Parsing safetensors headers and index files from memory. SafetensorsFile::open and Checkpoint::open
// use these on mapped / read files; the fuzzer calls them directly on its input (no temporary file).
#pragma once
#include "core/io/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace moewb {

// Largest header accepted, as in the reference implementation (100 MB, decimal).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;
// JSON nesting accepted in a header or index. Valid files need 3 levels; the limit keeps a hostile
// "[[[[..." header from building millions of nested values.
inline constexpr int kMaxJsonDepth = 32;

struct SafetensorsHeader {
    uint64_t headerSize = 0; // N, the JSON length
    std::vector<TensorInfo> tensors; // sorted by data offsets
    std::map<std::string, std::string> metadata; // "__metadata__"
};

// Validates every rule in shared/docs/checkpoints.md against `file`, the whole file's bytes; throws
// moewb::Error starting with `name`. Never reads outside `file`, never allocates before the header
// length has been checked against the limit and the file size.
SafetensorsHeader parseSafetensorsHeader(std::span<const std::byte> file, const std::string& name);

struct SafetensorsIndex {
    std::map<std::string, std::string> weightMap; // tensor name -> shard file name (plain name)
    std::optional<uint64_t> totalSize; // metadata.total_size when present
};

// Parses model.safetensors.index.json text. Shard names must be plain file names in the same folder
// (no '/', not "." or ".."), so a hostile index cannot point outside the checkpoint.
SafetensorsIndex parseSafetensorsIndex(std::string_view text, const std::string& name);

// Offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and code points above
// U+10FFFF are invalid), or nullopt when `text` is valid.
std::optional<size_t> findInvalidUtf8(std::string_view text);

// "[3,2]"
std::string formatShape(const std::vector<int64_t>& shape);

} // namespace moewb
