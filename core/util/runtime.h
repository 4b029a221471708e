// Process-wide compute settings: threads and devices.
#pragma once
#include <string>
#include <vector>

namespace moewb {

struct RuntimeInfo {
    int threads = 1;
    bool cudaAvailable = false;
    int cudaDevices = 0;
    std::string torchVersion;
};

// Sets LibTorch's intra-op threads (Debian's LibTorch starts with one). threads <= 0 means the
// hardware concurrency. Call once at start-up, before any tensor work.
RuntimeInfo initRuntime(int threads = 0);

// True when this CPU multiplies bf16 natively (AVX512-BF16 or AMX): only then is bf16 compute on
// the CPU faster than fp32. Without it LibTorch's bf16 matmul runs ~15x slower than fp32.
bool cpuHasFastBf16();

// "cpu", "cuda", "cuda:N": validated against what this LibTorch build and machine offer.
std::vector<std::string> availableDevices();

} // namespace moewb
