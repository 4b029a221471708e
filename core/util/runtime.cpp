#include "core/util/runtime.h"

#include <torch/torch.h>
#include <thread>

namespace moewb {

RuntimeInfo initRuntime(int threads)
{
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
