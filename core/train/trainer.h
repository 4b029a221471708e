// Training a MoE model from scratch with LibTorch autograd through the project's own forward pass
// (MoeModel in differentiable mode), so the trained weights are exactly what the tool later runs:
// AdamW with linear warm-up and cosine decay, a Switch-style load-balancing loss on every MoE layer,
// gradient clipping, checkpoint/resume, deterministic for a seed and thread count.
#pragma once
#include "core/model/moe_model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace moewb {

struct TrainOptions {
    int64_t steps = 1500;
    int64_t batchSize = 16;
    int64_t seqLen = 128;
    double lr = 3e-3;
    double minLrFraction = 0.1; // cosine decays to lr * minLrFraction
    int64_t warmupSteps = 100;
    double weightDecay = 0.1;   // matrices only; norms and biases are not decayed
    double routerWeightDecay = 0.0; // router matrices: decay keeps their logits small and routing flat
    double routerInitStd = 0.0;     // > 0: initial router weights' std (default: initializer_range)
    double beta1 = 0.9, beta2 = 0.95;
    double gradClip = 1.0;
    double auxLossCoef = 0.01;  // load-balancing loss weight
    uint64_t seed = 1;
    int64_t checkpointEvery = 100;
    int64_t evalEvery = 250;
    int64_t evalBlocks = 32;    // validation windows per evaluation
};

struct TrainStepReport {
    int64_t step = 0; // 1-based, after the update
    int64_t steps = 0;
    double loss = 0, crossEntropy = 0, auxLoss = 0, lr = 0, gradNorm = 0;
    double tokensPerSecond = 0;
    double elapsedSeconds = 0; // over every run of this training, resumes included
    std::optional<double> validLoss;
    bool checkpointed = false;
};

struct TrainSummary {
    int64_t steps = 0;
    int64_t resumedFromStep = 0; // 0: started fresh
    int64_t tokens = 0;          // training tokens seen (steps x batch x seqLen)
    double seconds = 0;
    double finalValidLoss = 0;
    nlohmann::json log;          // options, every 10th step, every evaluation
};

class Trainer {
public:
    // `workDir` holds init/ (the fp32 initial checkpoint) and state/ (the resume point). An existing
    // state/ is resumed when its config and options match, else refused.
    Trainer(nlohmann::json config, std::filesystem::path workDir, TrainOptions options);
    ~Trainer();

    // Trains up to options.steps. `onStep` returning false stops after saving a checkpoint
    // (moewb::Cancelled is thrown after the save).
    TrainSummary run(const std::vector<int32_t>& train, const std::vector<int32_t>& valid,
                     const std::function<bool(const TrainStepReport&)>& onStep = {});

    MoeModel& model() { return *m_model; }

    // Mean next-token cross-entropy (nats) over the first `blocks` windows of seqLen+1 tokens.
    double evaluate(const std::vector<int32_t>& ids, int64_t blocks);

private:
    struct Optim;
    void saveState(int64_t step, double elapsed);
    int64_t loadState(double& elapsed);
    nlohmann::json stateIdentity() const;

    nlohmann::json m_config;
    std::filesystem::path m_workDir;
    TrainOptions m_options;
    std::unique_ptr<MoeModel> m_model;
    std::vector<std::pair<std::string, torch::Tensor>> m_params;
    std::unique_ptr<Optim> m_optim;
    nlohmann::json m_log;
};

// Learning rate at a 0-based step: linear warm-up to lr, then cosine down to lr * minLrFraction.
double learningRate(const TrainOptions& options, int64_t step);

// Switch-Transformer load-balancing loss of one MoE layer: E * sum_e f_e * P_e with f_e the share of
// top-k assignments and P_e the mean router probability of expert e (1 when perfectly balanced).
torch::Tensor loadBalancingLoss(const torch::Tensor& routerLogits, int topK);

// Writes the trained model as a Hugging Face checkpoint (bf16 safetensors, config.json with
// torch_dtype bfloat16, the tokenizer files of `tokenizerDir`, and training.json) into `out`, which
// must not exist yet (written under a temporary name and renamed when complete).
void writeTrainedCheckpoint(MoeModel& model, const nlohmann::json& config, const std::filesystem::path& tokenizerDir,
                            const std::filesystem::path& out, const nlohmann::json& trainingLog);

} // namespace moewb
