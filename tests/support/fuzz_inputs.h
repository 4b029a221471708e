// Replaying fuzzer inputs in the ordinary test run: every file (but README .md notes) of the committed
// regression folder tests/data/fuzz-regressions/KIND and the seed corpus tests/fuzz/corpus/KIND.
#pragma once
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "support/paths.h"

namespace moewb::test {

// Calls `replay(path, bytes)` for each input of `kind` (config, safetensors, tokenizer) and returns the
// count; both folders must exist, so a moved corpus fails the test instead of replaying nothing.
inline int forEachFuzzInput(const std::string& kind,
                            const std::function<void(const std::filesystem::path&, const std::string&)>& replay)
{
    int count = 0;
    for (const auto& folder : {dataDir() / "fuzz-regressions" / kind, sourceDir() / "tests" / "fuzz" / "corpus" / kind}) {
        REQUIRE_MESSAGE(std::filesystem::is_directory(folder), folder.string());
        for (const auto& entry : std::filesystem::directory_iterator(folder)) {
            if (!entry.is_regular_file() || entry.path().extension() == ".md")
                continue;
            CAPTURE(entry.path().string());
            std::ifstream in(entry.path(), std::ios::binary);
            std::ostringstream bytes;
            bytes << in.rdbuf();
            replay(entry.path(), bytes.str());
            ++count;
        }
    }
    MESSAGE(count << " " << kind << " fuzz inputs replayed");
    CHECK(count > 0);
    return count;
}

} // namespace moewb::test
