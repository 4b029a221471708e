// Whether a model's weights are kept in memory (resident) or streamed from the mmap one layer per
// pass. Resident is faster (no per-pass materialisation, no host-to-GPU copies per pass); streaming
// keeps the working set at about one layer, so models larger than memory run. The automatic choice:
// on the CPU resident when the weights at the compute dtype fit in half of the memory the kernel
// reports available (MemAvailable); on a GPU resident unless materialising every layer there runs out
// of device memory, in which case the model is reopened streamed. Commands and the GUI open models
// through openModel so that they all decide the same way (docs/forward-pass.md, "Residency").
#pragma once
#include "core/model/moe_model.h"

#include <cstdint>
#include <string>

namespace moewb {

enum class Residency { Auto, Resident, Stream };

// "auto", "resident", "stream"; anything else is an error naming the allowed values.
Residency parseResidency(const std::string& name);
const char* residencyName(Residency r);

// The process-wide choice used by openModel when none is given (the CLI's global --residency).
void setDefaultResidency(Residency r);
Residency defaultResidency();

// Bytes of every checkpoint tensor at the compute dtype (what a resident model holds).
uint64_t computeBytes(const Checkpoint& checkpoint, torch::ScalarType dtype);
// MemAvailable from /proc/meminfo in bytes (0 when unknown).
uint64_t availableHostMemory();

struct ResidencyDecision {
    bool resident = false;
    std::string reason; // one line, for reports and logs
};

// The decision `r` makes for a model of `bytes` compute bytes on `device`, given `available` host
// bytes (GPU: "try", decided by openModel).
ResidencyDecision decideResidency(Residency r, uint64_t bytes, const torch::Device& device, uint64_t available);

// Opens the model and makes it resident or leaves it streamed as `r` decides (Auto: as above).
std::unique_ptr<MoeModel> openModel(const std::filesystem::path& path, const ComputeOptions& options,
                                    std::optional<Residency> r = std::nullopt, ResidencyDecision* decision = nullptr);

} // namespace moewb
