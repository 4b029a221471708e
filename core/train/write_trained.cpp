#include "core/io/atomic_file.h"
#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "core/train/trainer.h"

#include <torch/types.h>

namespace moewb {

namespace fs = std::filesystem;

void writeTrainedCheckpoint(MoeModel& model, const nlohmann::json& config, const fs::path& tokenizerDir,
                            const fs::path& out, const nlohmann::json& trainingLog)
{
    for (const char* name : {"tokenizer.json", "tokenizer_config.json"})
        if (!fs::exists(tokenizerDir / name))
            fail("{}: no {} to ship with the model", tokenizerDir.string(), name);
    if (fs::exists(out) && !fs::is_empty(out))
        fail("{}: already exists and is not empty; remove it or choose another output folder", out.string());

    std::vector<torch::Tensor> values;
    std::vector<TensorToWrite> tensors;
    for (const auto& [name, t] : model.namedParameters()) {
        values.push_back(t.detach().to(torch::kBFloat16).contiguous());
        const auto& v = values.back();
        tensors.push_back({name, DType::BF16, std::vector<int64_t>(v.sizes().begin(), v.sizes().end()),
                           std::span(static_cast<const std::byte*>(v.data_ptr()), static_cast<size_t>(v.nbytes()))});
    }
    AtomicDirectory dir(out);
    nlohmann::json cfg = config;
    cfg["torch_dtype"] = "bfloat16";
    auto writeText = [&](const std::string& name, const std::string& text) {
        AtomicFile f(dir.path() / name);
        f.write(text);
        f.commit();
    };
    writeText("config.json", cfg.dump(2) + "\n");
    writeText("training.json", trainingLog.dump(1) + "\n");
    for (const char* name : {"tokenizer.json", "tokenizer_config.json"})
        fs::copy_file(tokenizerDir / name, dir.path() / name);
    writeCheckpointWeights(dir.path(), tensors, {{{"moewb", "trained by moe-compress train"}}});
    dir.commit();
}

} // namespace moewb
