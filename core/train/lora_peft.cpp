// PEFT-format LoRA adapters (lora_peft.h).
#include "core/train/lora_peft.h"

#include "core/io/atomic_file.h"
#include "core/io/error.h"
#include "core/io/safetensors.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace moewb {

namespace fs = std::filesystem;

namespace {

bool factorAdapter(const std::string& p) { return p.ends_with(".A") || p.ends_with(".B"); }
bool routedExpert(const std::string& p) { return p.find(".experts.") != std::string::npos; }
bool deepseekShared(const std::string& p) { return p.find(".shared_experts.") != std::string::npos; }

// "model.layers.7.self_attn.q_proj.weight" -> layer 7 and the rest after "model.layers.7.".
std::optional<std::pair<int, std::string>> splitLayer(const std::string& p)
{
    static const std::string head = "model.layers.";
    if (!p.starts_with(head))
        return std::nullopt;
    const size_t dot = p.find('.', head.size());
    if (dot == std::string::npos)
        return std::nullopt;
    return std::pair{std::stoi(p.substr(head.size(), dot - head.size())), p.substr(dot + 1)};
}

} // namespace

bool isLoraDelta(const PlanStep& step)
{
    const auto* d = std::get_if<ApplyDelta>(&step);
    return d && d->kind == DeltaKind::LowRank && !d->tensors.empty() && d->tensors.front().starts_with("lora/");
}

LoraPlanSplit splitLoraPlan(const Plan& plan)
{
    LoraPlanSplit out;
    out.base = plan;
    out.base.steps.clear();
    for (const auto& s : plan.steps)
        if (isLoraDelta(s))
            out.adapters.push_back(std::get<ApplyDelta>(s));
        else
            out.base.steps.push_back(s);
    return out;
}

std::vector<std::string> peftProblems(const std::vector<ApplyDelta>& adapters)
{
    int factored = 0, routed = 0, shared = 0, other = 0;
    for (const auto& a : adapters) {
        if (factorAdapter(a.parameter))
            ++factored;
        else if (routedExpert(a.parameter))
            ++routed;
        else if (deepseekShared(a.parameter))
            ++shared;
        else if (!a.parameter.ends_with(".weight") || !splitLayer(a.parameter))
            ++other;
    }
    std::vector<std::string> out;
    if (routed)
        out.push_back(fmt::format("{} adapter(s) on routed experts: transformers 5 stores a layer's experts as fused "
                                  "parameters (mlp.experts.gate_up_proj), not nn.Linear modules PEFT's LoRA can wrap",
                                  routed));
    if (shared)
        out.push_back(fmt::format("{} adapter(s) on DeepSeek shared experts (mlp.shared_experts): peft 0.21 with "
                                  "transformers 5 loads them onto the fused routed experts instead "
                                  "(tests/reference/peft_adapter.json)",
                                  shared));
    if (factored)
        out.push_back(fmt::format("{} adapter(s) on factored (low-rank) matrices: no standard module holds W = a b", factored));
    if (other)
        out.push_back(fmt::format("{} adapter(s) on parameters outside the decoder layers", other));
    return out;
}

std::vector<std::string> writePeftAdapter(const fs::path& dir, const std::vector<int>& keptLayers,
                                          const std::vector<ApplyDelta>& adapters, const PlanTensorSource& tensors,
                                          const std::string& baseModel, double dropout)
{
    if (const auto problems = peftProblems(adapters); !problems.empty())
        fail("PEFT adapter: {}", fmt::join(problems, "; "));
    if (adapters.empty())
        fail("PEFT adapter: the plan has no LoRA adapters (moe-compress finetune makes them)");
    std::map<int, int> outputLayer;
    for (size_t j = 0; j < keptLayers.size(); ++j)
        outputLayer[keptLayers[j]] = static_cast<int>(j);
    int64_t rank = -1;
    double scale = 0;
    std::vector<torch::Tensor> keep; // owns the bytes until written
    std::vector<TensorToWrite> out;
    std::set<std::string> modules;
    for (const auto& a : adapters) {
        const auto [layer, rest] = *splitLayer(a.parameter);
        const auto it = outputLayer.find(layer);
        if (it == outputLayer.end())
            continue; // the layer was dropped from the export
        const auto B = tensors(a.tensors.at(0)).to(torch::kFloat).contiguous();
        const auto A = tensors(a.tensors.at(1)).to(torch::kFloat).contiguous();
        if (A.dim() != 2 || B.dim() != 2 || B.size(1) != A.size(0))
            fail("PEFT adapter: {}: tensors of shapes {} and {} are not B [out, r] and A [r, in]", a.parameter,
                 fmt::join(B.sizes(), "x"), fmt::join(A.sizes(), "x"));
        if (rank < 0) {
            rank = A.size(0);
            scale = a.scale;
        } else if (A.size(0) != rank || std::abs(a.scale - scale) > 1e-12 * std::abs(scale)) {
            fail("PEFT adapter: the adapters differ in rank or scale ({}: rank {}, scale {}; others rank {}, scale {})",
                 a.parameter, A.size(0), a.scale, rank, scale);
        }
        const std::string module = fmt::format("model.layers.{}.{}", it->second, rest.substr(0, rest.size() - 7));
        modules.insert(module);
        for (const auto& [suffix, t] : {std::pair{".lora_A.weight", A}, std::pair{".lora_B.weight", B}}) {
            keep.push_back(t);
            out.push_back({"base_model.model." + module + suffix, DType::F32, t.sizes().vec(),
                           std::span(static_cast<const std::byte*>(t.data_ptr()), static_cast<size_t>(t.nbytes()))});
        }
    }
    if (out.empty())
        fail("PEFT adapter: every adapter lies in a layer the export drops");
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
    const nlohmann::json config{{"peft_type", "LORA"},
                                {"task_type", "CAUSAL_LM"},
                                {"base_model_name_or_path", baseModel},
                                {"r", rank},
                                {"lora_alpha", scale * double(rank)},
                                {"lora_dropout", dropout},
                                {"target_modules", std::vector<std::string>(modules.begin(), modules.end())},
                                {"bias", "none"},
                                {"fan_in_fan_out", false},
                                {"inference_mode", true},
                                {"init_lora_weights", true},
                                {"modules_to_save", nullptr},
                                {"layers_to_transform", nullptr},
                                {"rank_pattern", nlohmann::json::object()},
                                {"alpha_pattern", nlohmann::json::object()},
                                {"use_rslora", false},
                                {"use_dora", false},
                                {"revision", nullptr}};
    writeSafetensors(dir / "adapter_model.safetensors", out, {{"format", "pt"}});
    AtomicFile file(dir / "adapter_config.json");
    file.write(config.dump(2) + "\n");
    file.commit();
    return {"adapter_config.json", "adapter_model.safetensors"};
}

} // namespace moewb
