// Reading a whole input file (config.json, tokenizer.json, an index, calibration text) into memory.
// One place for the checks every reader needs: the path must name a regular file (a folder, a FIFO or
// a device such as /dev/zero or /dev/urandom behind a symlink would otherwise read nothing or never
// end), and the file must not be larger than the reader's limit (it is read whole).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace moewb {

// Limits of the JSON readers. Real models' tokenizer.json files reach ~20 MB; config.json a few KB.
inline constexpr uint64_t kMaxConfigJsonBytes = 16ull << 20;  // 16 MiB
inline constexpr uint64_t kMaxTokenizerJsonBytes = 1ull << 30; // 1 GiB
inline constexpr uint64_t kNoFileLimit = UINT64_MAX;

// The file's bytes. Throws moewb::Error naming the path: "X: no such file", "X: is a folder, not a
// file", "X: not a regular file", "X: 17179869184 bytes, more than the 16 MiB limit for a config.json"
// (`what` names the kind of file in that message), or the system's reason it cannot be opened or read.
std::string readWholeFile(const std::filesystem::path& path, uint64_t maxBytes = kNoFileLimit,
                          std::string_view what = "file");

// "16 MiB", "1 GiB", "1234 bytes": a size limit as messages show it.
std::string byteLimitText(uint64_t bytes);

} // namespace moewb
