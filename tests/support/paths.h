// Paths to test fixtures, set by tests/CMakeLists.txt.
#pragma once
#include <filesystem>

namespace moewb::test {
inline std::filesystem::path sourceDir() { return MOEWB_SOURCE_DIR; }
inline std::filesystem::path dataDir() { return MOEWB_TEST_DATA; }
inline std::filesystem::path referenceDir() { return MOEWB_REFERENCE_DIR; }
} // namespace moewb::test
