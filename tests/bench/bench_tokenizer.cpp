// Encode throughput of core/io/tokenizer on a multi-megabyte text built from the licence texts
// shipped with Debian (/usr/share/common-licenses), repeated to the requested size.
//   bench_tokenizer [tokenizer.json] [megabytes]
#include "core/io/error.h"
#include "core/io/tokenizer.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string corpus()
{
    std::string text;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/share/common-licenses", ec)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream buffer;
        buffer << in.rdbuf();
        text += buffer.str();
    }
    // Some non-ASCII text so normalization and multi-byte paths are exercised too.
    text += "Grüße aus Zürich, naïve café. 中文测试：你好，世界！ Ελληνικά русский 👍🏽 1234567890\n";
    return text;
}

// CPU time of this process: the build machines are shared, so wall time overstates the cost.
struct Timer {
    std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
    std::clock_t cpu = std::clock();
    double wallSeconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(); }
    double cpuSeconds() const { return double(std::clock() - cpu) / CLOCKS_PER_SEC; }
};

void report(const char* what, double megabytes, std::size_t tokens, const Timer& t)
{
    fmt::print("{:<12} {:8.2f} MB {:9} tokens  wall {:7.3f} s {:7.1f} MB/s  cpu {:7.3f} s {:7.1f} MB/s\n", what,
               megabytes, tokens, t.wallSeconds(), megabytes / t.wallSeconds(), t.cpuSeconds(),
               megabytes / t.cpuSeconds());
}

} // namespace

int main(int argc, char** argv)
{
    try {
        const fs::path path = argc > 1 ? fs::path(argv[1]) : fs::path(MOEWB_REFERENCE_DIR) / "tokenizers/qwen2/tokenizer.json";
        const double megabytes = argc > 2 ? std::atof(argv[2]) : 20.0;
        const std::string base = corpus();
        std::string text;
        while (text.size() < megabytes * 1e6) text += base;

        Timer load;
        const moewb::Tokenizer tok = moewb::Tokenizer::fromFile(path);
        fmt::print("{}: loaded in {:.3f} s, {} ids\n", path.string(), load.wallSeconds(), tok.vocabSize());

        Timer first;
        const auto cold = tok.encode(base, true);
        report("first pass", base.size() / 1e6, cold.size(), first); // word cache filling

        Timer full;
        const auto ids = tok.encode(text, true);
        report("encode", text.size() / 1e6, ids.size(), full);

        Timer back;
        const std::string decoded = tok.decode(ids, false);
        report("decode", decoded.size() / 1e6, ids.size(), back);
        return 0;
    } catch (const moewb::Error& e) {
        fmt::print(stderr, "bench_tokenizer: error: {}\n", e.what());
        return 1;
    }
}
