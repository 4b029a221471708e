// Per-architecture parts of config.json parsing: attention, RoPE, MoE layout and routing. The facts
// come from shared/docs/checkpoints.md and the reference configuration/modeling sources.
#include "core/io/config_parse.h"
#include "core/io/error.h"
#include "core/io/model_spec_detail.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace moewb::detail {

ArchDefaults archDefaults(Architecture arch)
{
    switch (arch) {
    case Architecture::Mixtral:
        return {4096 * 32, 1e-5, 1e6, 8, 14336};
    case Architecture::Qwen2Moe:
        return {32768, 1e-6, 10000.0, 16, 5632};
    case Architecture::Qwen3Moe:
        return {32768, 1e-6, 10000.0, 4, 6144};
    case Architecture::Olmoe:
        return {4096, 1e-5, 10000.0, 0, 2048};
    case Architecture::DeepseekV2:
    case Architecture::Deepseek:
        return {2048, 1e-6, 10000.0, 0, 11008};
    }
    return {2048, 1e-6, 10000.0, 0, 0};
}

FieldNames fieldNames(Architecture arch)
{
    switch (arch) {
    case Architecture::Mixtral:
        return {
            "num_local_experts", "num_experts_per_tok", "intermediate_size", "intermediate_size", nullptr};
    case Architecture::Qwen2Moe:
        return {"num_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
            "shared_expert_intermediate_size"};
    case Architecture::Qwen3Moe:
        return {"num_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size", nullptr};
    case Architecture::Olmoe:
        return {"num_experts", "num_experts_per_tok", "intermediate_size", "intermediate_size", nullptr};
    case Architecture::DeepseekV2:
    case Architecture::Deepseek:
        return {"n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
            "n_shared_experts*moe_intermediate_size"};
    }
    return {"num_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size", nullptr};
}

namespace {

bool isNullField(const nlohmann::json& config, const char* name)
{
    auto it = config.find(name);
    return it != config.end() && it->is_null();
}

bool hasField(const nlohmann::json& config, const char* name)
{
    return config.find(name) != config.end();
}

void parseMla(ModelSpec& spec, const ConfigReader& r, const nlohmann::json& config)
{
    auto& a = spec.attention;
    a.kind = AttentionKind::Mla;
    a.numKvHeads = r.optionalInt({"num_key_value_heads"}, a.numHeads, 1, kMaxHeads);
    // q_lora_rank: null means q_proj directly (V2-Lite); absent means the class default 1536 (V2).
    if (!hasField(config, "q_lora_rank"))
        a.qLoraRank = 1536;
    else
        a.qLoraRank = r.nullableInt({"q_lora_rank"}, 0, kMaxWidth).value_or(0);
    a.kvLoraRank = r.optionalInt({"kv_lora_rank"}, 512, 1, kMaxWidth);
    a.qkNopeHeadDim = r.optionalInt({"qk_nope_head_dim"}, 128, 1, kMaxWidth);
    a.qkRopeHeadDim = r.optionalInt({"qk_rope_head_dim"}, 64, 1, kMaxWidth);
    a.vHeadDim = r.optionalInt({"v_head_dim"}, 128, 1, kMaxWidth);
    if (a.qkRopeHeadDim % 2 != 0)
        r.fail(fmt::format(
            "field 'qk_rope_head_dim' must be even (RoPE rotates pairs), got {}", a.qkRopeHeadDim));
    a.headDim = a.qkNopeHeadDim + a.qkRopeHeadDim;
    // attention_bias covers q_a_proj, kv_a_proj_with_mqa and o_proj; q_proj/q_b_proj/kv_b_proj never
    // have a bias.
    a.qkvBias = a.oBias = r.optionalBool("attention_bias", false);
}

void parseGqa(ModelSpec& spec, const ConfigReader& r, const nlohmann::json& config)
{
    auto& a = spec.attention;
    a.kind = AttentionKind::Gqa;
    const int defaultKv = archDefaults(spec.arch).numKvHeads;
    // An explicit null means "same as the heads" in every reference class.
    const int kvFallback
        = (defaultKv == 0 || isNullField(config, "num_key_value_heads")) ? a.numHeads : defaultKv;
    a.numKvHeads = r.optionalInt({"num_key_value_heads"}, kvFallback, 1, kMaxHeads);
    if (a.numHeads % a.numKvHeads != 0)
        r.fail(fmt::format(
            "num_attention_heads={} is not divisible by num_key_value_heads={}", a.numHeads, a.numKvHeads));
    if (auto headDim = r.nullableInt({"head_dim"}, 1, kMaxWidth)) {
        a.headDim = *headDim;
    } else {
        if (spec.hiddenSize % a.numHeads != 0)
            r.fail(fmt::format(
                "hidden_size={} is not divisible by num_attention_heads={} and there is no head_dim",
                spec.hiddenSize, a.numHeads));
        a.headDim = spec.hiddenSize / a.numHeads;
    }
    if (static_cast<long long>(a.numHeads) * a.headDim > kMaxWidth)
        r.fail(fmt::format("num_attention_heads*head_dim = {}*{} is out of range", a.numHeads, a.headDim));

    switch (spec.arch) {
    case Architecture::Mixtral:
        break; // no biases, whatever attention_bias says (the modeling code hard-codes bias=False)
    case Architecture::Qwen2Moe:
        a.qkvBias = r.optionalBool("qkv_bias", true); // v4 hard-codes q/k/v bias; v5 names it qkv_bias
        break;
    case Architecture::Qwen3Moe:
        a.qkvBias = a.oBias = r.optionalBool("attention_bias", false);
        a.qkNorm = QkNorm::PerHead;
        break;
    case Architecture::Olmoe:
        a.qkvBias = a.oBias = r.optionalBool("attention_bias", false);
        a.qkNorm = QkNorm::Full;
        a.clipQkv = r.nullableDouble("clip_qkv");
        if (a.clipQkv && !(*a.clipQkv > 0.0))
            r.fail(fmt::format("field 'clip_qkv' must be positive or null, got {}", *a.clipQkv));
        break;
    case Architecture::Deepseek:
        a.qkvBias = a.oBias = r.optionalBool("attention_bias", false);
        break;
    case Architecture::DeepseekV2:
        break;
    }
}

const char* const kRopeTypes[] = {"default", "linear", "dynamic", "yarn", "longrope", "llama3"};

} // namespace

void parseAttention(ModelSpec& spec, const ConfigReader& r)
{
    spec.attention.numHeads = r.requiredInt({"num_attention_heads"}, 1, kMaxHeads);
    if (spec.arch == Architecture::DeepseekV2)
        parseMla(spec, r, r.object());
    else
        parseGqa(spec, r, r.object());
}

void parseRope(ModelSpec& spec, const ConfigReader& r)
{
    // v4 spells RoPE as rope_theta + rope_scaling{type|rope_type, ...}; v5 as rope_parameters{rope_type,
    // rope_theta, ...}, possibly one entry per attention type. Merge both, v5 taking precedence.
    nlohmann::json merged = nlohmann::json::object();
    std::string prefix = "rope_scaling.";
    if (const auto* scaling = r.optionalObject("rope_scaling"))
        merged.update(*scaling);
    if (const auto* params = r.optionalObject("rope_parameters")) {
        const nlohmann::json* flat = params;
        if (!params->contains("rope_type") && !params->contains("type") && !params->contains("rope_theta")) {
            auto full = params->find("full_attention");
            if (full != params->end() && full->is_object())
                flat = &*full;
        }
        merged.update(*flat);
        prefix = "rope_parameters.";
    }
    ConfigReader rope(merged, r.source(), prefix);
    auto& out = spec.rope;

    out.theta = rope.has("rope_theta") ? rope.optionalDouble("rope_theta", 0.0)
                                       : r.optionalDouble("rope_theta", archDefaults(spec.arch).ropeTheta);
    if (!(out.theta > 0.0))
        r.fail(fmt::format("field 'rope_theta' must be positive, got {}", out.theta));

    std::string type = "default";
    if (auto t = rope.optionalString("rope_type"))
        type = *t;
    else if (auto t2 = rope.optionalString("type"))
        type = *t2;
    if (std::find_if(std::begin(kRopeTypes), std::end(kRopeTypes), [&](const char* k) { return type == k; })
        == std::end(kRopeTypes))
        r.fail(fmt::format("unsupported RoPE type '{}' in field '{}rope_type' (supported: default, linear, "
                           "dynamic, yarn, longrope, llama3)",
            printable(type), prefix));
    out.type = type;
    if (type != "default") {
        if (!rope.has("factor"))
            r.fail(fmt::format("missing required field '{}factor' for RoPE type '{}'", prefix, type));
        out.factor = rope.optionalDouble("factor", 1.0);
        if (!(out.factor > 0.0))
            r.fail(fmt::format("field '{}factor' must be positive, got {}", prefix, out.factor));
    }
    out.originalMaxPositionEmbeddings
        = rope.optionalInt({"original_max_position_embeddings"}, 0, 1, (1LL << 31) - 1);
    out.betaFast = rope.optionalDouble("beta_fast", 32.0);
    out.betaSlow = rope.optionalDouble("beta_slow", 1.0);
    out.mscale = rope.optionalDouble("mscale", 1.0);
    out.mscaleAllDim = rope.optionalDouble("mscale_all_dim", 0.0);
    out.attentionFactor = rope.nullableDouble("attention_factor");

    const auto& a = spec.attention;
    if (a.kind == AttentionKind::Mla) {
        out.rotaryDim = a.qkRopeHeadDim;
        out.interleaved = true; // DeepSeek-V2 pairs (x[2i], x[2i+1]); see checkpoints.md
    } else {
        double partial = rope.has("partial_rotary_factor") ? rope.optionalDouble("partial_rotary_factor", 1.0)
                                                           : r.optionalDouble("partial_rotary_factor", 1.0);
        if (!(partial > 0.0 && partial <= 1.0))
            r.fail(fmt::format("field 'partial_rotary_factor' must be in (0, 1], got {}", partial));
        out.rotaryDim = static_cast<int>(a.headDim * partial);
        if (out.rotaryDim < 2 || out.rotaryDim % 2 != 0)
            r.fail(fmt::format(
                "head_dim={} x partial_rotary_factor={} gives {} rotary dimensions; RoPE needs an "
                "even number",
                a.headDim, partial, out.rotaryDim));
    }
}

} // namespace moewb::detail
