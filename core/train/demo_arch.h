// The three demo architectures the project trains (issue #8): small models in the exact config.json
// formats of real Hugging Face checkpoints, so every code path that serves Mixtral, Qwen1.5-MoE and
// DeepSeek-V2 serves them too.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace moewb {

enum class DemoArch { Mixtral, Qwen, DeepSeek };

// "mixtral", "qwen", "deepseek" (also "qwen2_moe", "deepseek_v2"); throws moewb::Error otherwise.
DemoArch parseDemoArch(std::string_view name);
std::string_view demoArchName(DemoArch arch);
std::vector<std::string> demoArchNames();

struct DemoConfigOptions {
    int vocabSize = 2048;
    int bosTokenId = 0;
    int eosTokenId = 0;
    int maxPositions = 512;
};

// config.json of the demo model, in the pre-v5 transformers format that Hub checkpoints use
// (rope_theta at the top level, torch_dtype), which both transformers 4.x and 5.x read:
//   mixtral:  d 128, 6 layers, 4/2 heads of 32, 8 experts of 128, top-2 (renormalised).
//   qwen:     d 128, 6 layers, 4/4 heads of 32 with q/k/v bias, 16 experts of 64, top-4 without
//             renormalisation, a gated shared expert of 256.
//   deepseek: d 128, 7 layers (first dense, 384), MLA (4 heads, kv rank 64, nope 32 + rope 16, v 32),
//             16 routed experts of 64 top-4 (greedy, no renormalisation, scale 1), 2 shared experts.
nlohmann::json demoConfig(DemoArch arch, const DemoConfigOptions& options = {});

} // namespace moewb
