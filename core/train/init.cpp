#include "core/train/init.h"

#include "core/io/atomic_file.h"
#include "core/io/error.h"
#include "core/io/model_spec.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_layout.h"

#include <torch/types.h>

namespace moewb {

namespace {

bool endsWith(const std::string& s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

void writeInitialCheckpoint(const std::filesystem::path& directory, const nlohmann::json& config, uint64_t seed,
                            double routerStd)
{
    const ModelSpec spec = parseModelSpec(config, (directory / "config.json").string());
    const double stddev = config.value("initializer_range", 0.02);
    auto gen = at::detail::createCPUGenerator(seed);

    std::vector<torch::Tensor> values;
    std::vector<TensorToWrite> tensors;
    for (const auto& t : expectedTensors(spec)) {
        if (t.optional)
            continue;
        torch::Tensor v;
        if (t.component == Component::Norms || endsWith(t.name, "norm.weight"))
            v = torch::ones(t.shape, torch::kFloat);
        else if (endsWith(t.name, ".bias"))
            v = torch::zeros(t.shape, torch::kFloat);
        else
            v = at::normal(0.0, t.component == Component::Router && routerStd > 0 ? routerStd : stddev, t.shape, gen,
                           torch::TensorOptions().dtype(torch::kFloat));
        values.push_back(v.contiguous());
        const auto& s = values.back();
        tensors.push_back({t.name, DType::F32, t.shape,
                           std::span(static_cast<const std::byte*>(s.data_ptr()), static_cast<size_t>(s.nbytes()))});
    }
    std::filesystem::create_directories(directory);
    if (std::filesystem::exists(directory / "model.safetensors"))
        fail("{}: already holds a checkpoint", directory.string());
    AtomicFile configFile(directory / "config.json");
    configFile.write(config.dump(2) + "\n");
    configFile.commit();
    writeCheckpointWeights(directory, tensors, {{{"moewb", "initial weights"}}});
}

} // namespace moewb
