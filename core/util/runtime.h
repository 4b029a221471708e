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

// OpenMP threads that finish early spin (OMP_WAIT_POLICY=ACTIVE is libgomp's default) and, on a
// machine with other work, wait for descheduled siblings at every parallel region: measured 2-9x slower
// tensor work on the 2-core build machine (docs/decisions.md). libgomp reads the policy once, when it
// is loaded, so the executables call this first thing in main(): unless the user chose a policy, it
// sets OMP_WAIT_POLICY=PASSIVE and re-executes the program (argv unchanged). Returns when nothing had
// to be done or the re-execution failed.
void relaunchWithPassiveOpenMp(char** argv);

// Sets LibTorch's intra-op threads (Debian's LibTorch starts with one). threads <= 0 means the
// hardware concurrency. Call once at start-up, before any tensor work.
RuntimeInfo initRuntime(int threads = 0);

// True when this CPU multiplies bf16 natively (AVX512-BF16 or AMX): only then is bf16 compute on
// the CPU faster than fp32. Without it LibTorch's bf16 matmul runs ~15x slower than fp32.
bool cpuHasFastBf16();

// "cpu", "cuda", "cuda:N": validated against what this LibTorch build and machine offer.
std::vector<std::string> availableDevices();

} // namespace moewb
