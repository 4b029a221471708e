// Resident or streamed weights (residency.h).
#include "core/model/residency.h"

#include "core/io/error.h"
#include "core/util/torch_errors.h"

#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <sstream>

namespace moewb {

namespace {

std::atomic<Residency> g_default{Residency::Auto};

std::string gib(uint64_t bytes) { return fmt::format("{:.2f} GiB", double(bytes) / double(uint64_t{1} << 30)); }

} // namespace

Residency parseResidency(const std::string& name)
{
    if (name == "auto")
        return Residency::Auto;
    if (name == "resident")
        return Residency::Resident;
    if (name == "stream")
        return Residency::Stream;
    fail("unknown residency '{}' (auto, resident or stream)", name);
}

const char* residencyName(Residency r)
{
    switch (r) {
    case Residency::Auto: return "auto";
    case Residency::Resident: return "resident";
    case Residency::Stream: return "stream";
    }
    return "auto";
}

void setDefaultResidency(Residency r) { g_default = r; }
Residency defaultResidency() { return g_default; }

uint64_t computeBytes(const Checkpoint& checkpoint, torch::ScalarType dtype)
{
    uint64_t bytes = 0;
    for (const auto& name : checkpoint.names())
        bytes += checkpoint.info(name).numel() * c10::elementSize(dtype);
    return bytes;
}

uint64_t availableHostMemory()
{
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("MemAvailable:", 0) == 0) {
            std::istringstream fields(line.substr(13));
            uint64_t kib = 0;
            fields >> kib;
            return kib * 1024;
        }
    return 0;
}

ResidencyDecision decideResidency(Residency r, uint64_t bytes, const torch::Device& device, uint64_t available)
{
    switch (r) {
    case Residency::Resident: return {true, fmt::format("resident ({} of weights, as asked)", gib(bytes))};
    case Residency::Stream: return {false, fmt::format("streamed one layer per pass ({} of weights, as asked)", gib(bytes))};
    case Residency::Auto: break;
    }
    if (!device.is_cpu())
        return {true, fmt::format("resident on {} ({} of weights)", device.str(), gib(bytes))};
    if (available == 0)
        return {false, fmt::format("streamed one layer per pass ({} of weights; available memory unknown)", gib(bytes))};
    if (bytes <= available / 2)
        return {true, fmt::format("resident ({} of weights, {} available)", gib(bytes), gib(available))};
    return {false, fmt::format("streamed one layer per pass ({} of weights exceed half of the {} available)", gib(bytes),
                               gib(available))};
}

std::unique_ptr<MoeModel> openModel(const std::filesystem::path& path, const ComputeOptions& options,
                                    std::optional<Residency> r, ResidencyDecision* decision)
{
    auto model = MoeModel::open(path, options);
    const Residency choice = r.value_or(defaultResidency());
    const uint64_t bytes = computeBytes(model->checkpoint(), options.dtype);
    ResidencyDecision d = decideResidency(choice, bytes, options.device, options.device.is_cpu() ? availableHostMemory() : 0);
    if (d.resident) {
        try {
            model->makeResident();
        } catch (const c10::Error& e) {
            // A GPU without room for every layer: stream instead (asked-for residency fails loudly).
            if (choice != Residency::Auto || options.device.is_cpu() || !isOutOfMemory(e))
                throw;
            model.reset(); // its layers go back to the allocator before the streamed copy opens
            model = MoeModel::open(path, options);
            d = {false, fmt::format("streamed one layer per pass ({} of weights do not fit on {})", gib(bytes),
                                    options.device.str())};
        }
    }
    if (decision)
        *decision = std::move(d);
    return model;
}

} // namespace moewb
