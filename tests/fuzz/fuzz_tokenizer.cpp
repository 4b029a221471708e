// libFuzzer target for the tokenizer: the first byte of an input picks between loading it as a
// tokenizer.json (then encoding and decoding sample texts with it) and encoding the rest with one of
// the repository's tokenizers (see tokenizer_fuzz.h for the modes and the invariants checked).
// Anything but moewb::Error escaping, a sanitizer report, a hang or a broken invariant is a bug.
//
//   cmake --preset fuzz && cmake --build build/fuzz --target fuzz_tokenizer
//   mkdir -p fuzz-corpus/tokenizer fuzz-corpus/artifacts-tokenizer     # fuzz-corpus/ is git-ignored
//   nice -n 10 build/fuzz/tests/fuzz/fuzz_tokenizer -dict=tests/fuzz/tokenizer.dict -timeout=10 \
//       -rss_limit_mb=2048 -max_len=8192 -max_total_time=3600 -artifact_prefix=fuzz-corpus/artifacts-tokenizer/ \
//       fuzz-corpus/tokenizer tests/fuzz/corpus/tokenizer
//
// A single input replays with `build/fuzz/tests/fuzz/fuzz_tokenizer FILE`; minimise a crash with
// `-minimize_crash=1 -runs=10000 FILE`. Measured runs and findings: docs/decisions.md (Tests).
//
// The repository's tokenizers are read from the source tree (MOEWB_SOURCE_DIR) once, at start.
// Crashing inputs go to tests/data/fuzz-regressions/tokenizer/ once fixed; test_tokenizer replays
// them and the seeds through the same code (tokenizer_fuzz.h).
#include "core/io/error.h"
#include "tokenizer_fuzz.h"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const auto real = moewb::fuzz::loadRealTokenizers(MOEWB_SOURCE_DIR);
    try {
        moewb::fuzz::runTokenizerInput(std::string_view(reinterpret_cast<const char*>(data), size), real);
    } catch (const moewb::Error&) {
        // Rejected with a message: the expected outcome for most tokenizer.json inputs.
    }
    return 0;
}
