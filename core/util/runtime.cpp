#include "core/util/runtime.h"

#include <torch/types.h>
#include <torch/utils.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>

#include <fstream>
#include <string>
#include <thread>

namespace moewb {

void relaunchWithPassiveOpenMp(char** argv)
{
    if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("MOEWB_RELAUNCHED") != nullptr)
        return;
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::setenv("MOEWB_RELAUNCHED", "1", 1);  // never loop, even if the policy is unset again
    ::execv("/proc/self/exe", argv);
    ::unsetenv("OMP_WAIT_POLICY");          // exec failed: carry on with the default policy
}

RuntimeInfo initRuntime(int threads)
{
    // Return large tensor buffers to the system when freed. glibc otherwise raises its mmap
    // threshold after the first frees (up to 32 MiB), keeping streamed layers' weights in the heap
    // and inflating the working set by a layer or more.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    RuntimeInfo info;
    info.threads = torch::get_num_threads();
    info.cudaAvailable = torch::cuda::is_available();
    info.cudaDevices = info.cudaAvailable ? static_cast<int>(torch::cuda::device_count()) : 0;
    info.torchVersion = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
    return info;
}

bool cpuHasFastBf16()
{
    static const bool fast = [] {
        std::ifstream cpuinfo("/proc/cpuinfo");
        std::string line;
        while (std::getline(cpuinfo, line))
            if (line.rfind("flags", 0) == 0)
                return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
        return false;
    }();
    return fast;
}

std::vector<std::string> availableDevices()
{
    std::vector<std::string> devices{"cpu"};
    if (torch::cuda::is_available()) {
        for (int i = 0; i < static_cast<int>(torch::cuda::device_count()); ++i)
            devices.push_back("cuda:" + std::to_string(i));
    }
    return devices;
}

} // namespace moewb
