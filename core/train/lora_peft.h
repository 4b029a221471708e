// LoRA adapters in the PEFT format (Hugging Face `peft`): `adapter_config.json` and
// `adapter_model.safetensors` next to a standard export of the plan *without* its adapters, so
// `PeftModel.from_pretrained(base, folder)` recovers the fine-tuned model (docs/lora.md). Tensor names
// are PEFT's: `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r], scaling
// lora_alpha / r. Only adapters on modules that transformers builds as nn.Linear can be expressed:
// attention projections, shared experts and dense MLPs. Routed experts are fused parameters in
// transformers 5 (`mlp.experts.gate_up_proj`), and a factored matrix has no standard module at all;
// such adapters are refused (peftProblems) and need the merged export. So are adapters on DeepSeek's
// shared experts: peft 0.21's conversion for transformers 5 puts them on the fused routed experts.
#pragma once
#include "core/io/model_spec.h"
#include "core/plan/apply.h"
#include "core/plan/plan.h"

#include <filesystem>
#include <string>
#include <vector>

namespace moewb {

// True for a plan step written by LoRA fine-tuning (an apply_delta low-rank step whose tensors lie
// under "lora/").
bool isLoraDelta(const PlanStep& step);

struct LoraPlanSplit {
    Plan base;                       // the plan without its LoRA steps (same name and parameters)
    std::vector<ApplyDelta> adapters; // the LoRA steps
};
LoraPlanSplit splitLoraPlan(const Plan& plan);

// Why PEFT cannot express `adapters` (empty: it can), one line per kind of problem.
std::vector<std::string> peftProblems(const std::vector<ApplyDelta>& adapters);

// Writes adapter_config.json and adapter_model.safetensors into the existing folder `dir` (each file
// atomically). `keptLayers`: the source layer of each exported layer (ExportPreview::keptLayers);
// adapters of dropped layers are left out. Throws moewb::Error when peftProblems is not empty or the
// adapters disagree on rank or scale. Returns the files written (relative to dir).
std::vector<std::string> writePeftAdapter(const std::filesystem::path& dir, const std::vector<int>& keptLayers,
                                          const std::vector<ApplyDelta>& adapters, const PlanTensorSource& tensors,
                                          const std::string& baseModel, double dropout = 0.0);

} // namespace moewb
