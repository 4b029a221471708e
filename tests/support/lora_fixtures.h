// Models, training data and a small run shared by the LoRA tests (test_lora, test_lora_distill, test_cuda).
#pragma once
#include "core/model/moe_model.h"
#include "core/plan/plan.h"
#include "core/train/lora.h"
#include "support/golden.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moewb::test {

// A golden model, resident (float64 on the CPU unless told otherwise).
inline std::unique_ptr<MoeModel> residentGolden(const std::string& name,
                                                ComputeOptions options = ComputeOptions{torch::kDouble, torch::kCPU})
{
    auto m = MoeModel::open(GoldenSet(name).dir(), options);
    m->makeResident();
    return m;
}

// A compressed golden Mixtral: one expert removed, one factored (plain SVD at rank 4).
inline Plan compressedMixtralPlan(const ModelSpec& spec)
{
    const int l = spec.moeLayerIndices().front();
    return Plan{"c", "moe-i2", {}, {RemoveExperts{l, {1}}, FactorExperts{l, {{2, 4, SvdMode::Plain}}, {}}}};
}

// A token stream with a learnable period, ids below min(vocab, 41).
inline std::vector<int32_t> periodic(int64_t n, int vocab)
{
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        ids[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7 + (i / 5) % 3) % std::min(vocab, 41));
    return ids;
}

// Six steps of 2 x 3 windows of 12 tokens, warm-up 2, held-out perplexity every 2 steps, no early stop.
inline FinetuneOptions smallLoraRun()
{
    FinetuneOptions fo;
    fo.steps = 6;
    fo.batchSize = 3;
    fo.seqLen = 12;
    fo.accumulation = 2;
    fo.lr = 1e-2;
    fo.warmupSteps = 2;
    fo.evalEvery = 2;
    fo.evalBlocks = 2;
    fo.patience = 0;
    fo.seed = 5;
    return fo;
}

} // namespace moewb::test
