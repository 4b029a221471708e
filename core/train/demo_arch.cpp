#include "core/train/demo_arch.h"

#include "core/io/error.h"

namespace moewb {

DemoArch parseDemoArch(std::string_view name)
{
    if (name == "mixtral")
        return DemoArch::Mixtral;
    if (name == "qwen" || name == "qwen2_moe")
        return DemoArch::Qwen;
    if (name == "deepseek" || name == "deepseek_v2")
        return DemoArch::DeepSeek;
    fail("unknown demo architecture '{}' (expected mixtral, qwen or deepseek)", name);
}

std::string_view demoArchName(DemoArch arch)
{
    switch (arch) {
    case DemoArch::Mixtral: return "mixtral";
    case DemoArch::Qwen: return "qwen";
    case DemoArch::DeepSeek: return "deepseek";
    }
    return "?";
}

std::vector<std::string> demoArchNames() { return {"mixtral", "qwen", "deepseek"}; }

namespace {

nlohmann::json common(const DemoConfigOptions& o)
{
    return {
        {"vocab_size", o.vocabSize},
        {"hidden_size", 128},
        {"hidden_act", "silu"},
        {"max_position_embeddings", o.maxPositions},
        {"initializer_range", 0.02},
        {"use_cache", true},
        {"bos_token_id", o.bosTokenId},
        {"eos_token_id", o.eosTokenId},
        {"tie_word_embeddings", false},
        {"attention_dropout", 0.0},
        {"output_router_logits", false},
        {"torch_dtype", "bfloat16"},
    };
}

} // namespace

nlohmann::json demoConfig(DemoArch arch, const DemoConfigOptions& options)
{
    nlohmann::json c = common(options);
    switch (arch) {
    case DemoArch::Mixtral:
        c.update({
            {"architectures", {"MixtralForCausalLM"}},
            {"model_type", "mixtral"},
            {"intermediate_size", 128},
            {"num_hidden_layers", 6},
            {"num_attention_heads", 4},
            {"num_key_value_heads", 2},
            {"head_dim", 32},
            {"rms_norm_eps", 1e-5},
            {"rope_theta", 10000.0},
            {"sliding_window", nullptr},
            {"num_local_experts", 8},
            {"num_experts_per_tok", 2},
            {"router_aux_loss_coef", 0.01},
            {"router_jitter_noise", 0.0},
        });
        break;
    case DemoArch::Qwen:
        c.update({
            {"architectures", {"Qwen2MoeForCausalLM"}},
            {"model_type", "qwen2_moe"},
            {"intermediate_size", 512},
            {"num_hidden_layers", 6},
            {"num_attention_heads", 4},
            {"num_key_value_heads", 4},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 1000000.0},
            {"use_sliding_window", false},
            {"sliding_window", nullptr},
            {"max_window_layers", 6},
            {"decoder_sparse_step", 1},
            {"mlp_only_layers", nlohmann::json::array()},
            {"moe_intermediate_size", 64},
            {"shared_expert_intermediate_size", 256},
            {"num_experts", 16},
            {"num_experts_per_tok", 4},
            {"norm_topk_prob", false},
            {"router_aux_loss_coef", 0.001},
        });
        break;
    case DemoArch::DeepSeek:
        c.update({
            {"architectures", {"DeepseekV2ForCausalLM"}},
            {"model_type", "deepseek_v2"},
            {"intermediate_size", 384},
            {"moe_intermediate_size", 64},
            {"num_hidden_layers", 7},
            {"num_attention_heads", 4},
            {"num_key_value_heads", 4},
            {"n_shared_experts", 2},
            {"n_routed_experts", 16},
            {"routed_scaling_factor", 1.0},
            {"kv_lora_rank", 64},
            {"q_lora_rank", nullptr},
            {"qk_rope_head_dim", 16},
            {"qk_nope_head_dim", 32},
            {"v_head_dim", 32},
            {"topk_method", "greedy"},
            {"n_group", 1},
            {"topk_group", 1},
            {"num_experts_per_tok", 4},
            {"moe_layer_freq", 1},
            {"first_k_dense_replace", 1},
            {"norm_topk_prob", false},
            {"scoring_func", "softmax"},
            {"aux_loss_alpha", 0.001},
            {"seq_aux", true},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 10000.0},
            {"rope_scaling", nullptr},
            {"attention_bias", false},
        });
        break;
    }
    return c;
}

} // namespace moewb
