// Checkpoints of the LoRA training loop (internal to core/train; lora_train.cpp's finetuneLora writes
// and resumes them). A checkpoint is a torch archive holding the adapters, the best adapters so far,
// AdamW's state, torch's generators and a JSON "state": the format tag, the run's identity (what it
// must agree on to be resumed) and the loop's progress (steps, losses, held-out evaluations, best step).
#pragma once
#include "core/train/lora.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/optim/adamw.h>

#include <filesystem>
#include <vector>

namespace moewb {

// Where the training loop is: what a checkpoint restores besides tensors and generators.
struct LoopState {
    int64_t step = 0; // steps done
    int sinceBest = 0;
    bool stopped = false; // early stop reached: nothing left to do
    FinetuneResult result;
    std::vector<torch::Tensor> best;
};

// The JSON state of a checkpoint of `s` for a run of identity `id` (best adapters counted, not stored).
nlohmann::json checkpointState(const nlohmann::json& id, const LoopState& s);

// Reads the progress of a checkpoint's JSON state into `s` (not the best adapters): refuses another
// format, another run's identity and a distillation checkpoint written before held-out evaluation
// measured the distillation objective; an LM checkpoint of that age resumes (its criterion, perplexity,
// is unchanged). `path` names the checkpoint in messages.
void restoreProgress(const nlohmann::json& state, const nlohmann::json& id, const std::filesystem::path& path,
                     LoopState& s);

// True when `path` holds a fine-tuning checkpoint (of any run): what finetuneLora may overwrite.
bool isFinetuneCheckpoint(const std::filesystem::path& path);

void saveCheckpoint(const std::filesystem::path& path, const nlohmann::json& id, const LoopState& s,
                    const std::vector<torch::Tensor>& params, const torch::optim::AdamW& optimizer,
                    const torch::Device& device);

// Restores a checkpoint into `s`, the parameters, the optimizer and torch's generators.
void loadCheckpoint(const std::filesystem::path& path, const nlohmann::json& id, LoopState& s,
                    std::vector<torch::Tensor>& params, torch::optim::AdamW& optimizer, const torch::Device& device);

} // namespace moewb
