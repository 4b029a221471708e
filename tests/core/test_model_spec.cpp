// config.json -> ModelSpec: the six published configs, v4/v5 spellings and hostile configs.
#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/model_spec.h"
#include "core/io/param_count.h"
#include "core/io/tensor_layout.h"
#include "core/io/text_format.h"
#include "core/io/tokenizer.h"
#include "support/errors.h"
#include "support/fuzz_inputs.h"
#include "support/paths.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace moewb;
using nlohmann::json;

namespace {

std::filesystem::path configPath(const std::string& model)
{
    return test::dataDir() / "configs" / model / "config.json";
}

json loadJson(const std::string& model)
{
    std::ifstream in(configPath(model));
    REQUIRE(in);
    return json::parse(in);
}

// The message of the moewb::Error parsing `config` throws ("" when it parses).
std::string errorOf(const json& config, const std::string& source = "config.json")
{
    try {
        (void)parseModelSpec(config, source);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::string errorOfText(const std::string& text)
{
    try {
        (void)parseModelSpecText(text, "bad/config.json");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("the six published configs parse")
{
    struct Case {
        const char* dir;
        Architecture arch;
        int layers, moeLayers, experts, topK, width;
    };
    const Case cases[] = {
        {"mixtral-8x7b", Architecture::Mixtral, 32, 32, 8, 2, 14336},
        {"qwen1.5-moe-a2.7b", Architecture::Qwen2Moe, 24, 24, 60, 4, 1408},
        {"qwen3-30b-a3b", Architecture::Qwen3Moe, 48, 48, 128, 8, 768},
        {"olmoe-1b-7b", Architecture::Olmoe, 16, 16, 64, 8, 1024},
        {"deepseek-v2-lite", Architecture::DeepseekV2, 27, 26, 64, 6, 1408},
        {"deepseek-moe-16b", Architecture::Deepseek, 28, 27, 64, 6, 1408},
    };
    for (const auto& c : cases) {
        const std::string name = c.dir;
        CAPTURE(name);
        const ModelSpec spec = loadModelSpec(configPath(c.dir));
        CHECK(spec.arch == c.arch);
        CHECK(spec.numLayers == c.layers);
        CHECK(spec.layers.size() == static_cast<size_t>(c.layers));
        CHECK(spec.numMoeLayers() == c.moeLayers);
        const auto& moe = spec.layers[static_cast<size_t>(spec.moeLayerIndices().front())];
        CHECK(moe.numExperts == c.experts);
        CHECK(moe.topK == c.topK);
        CHECK(moe.expertWidth == c.width);
        CHECK(spec.dtype == DType::BF16);
        CHECK(spec.dtypeFromConfig);
        CHECK_FALSE(spec.tieWordEmbeddings);
        CHECK(spec.config.is_object());
        CHECK(spec.hiddenAct == "silu");
    }
}

TEST_CASE("Mixtral-8x7B fields")
{
    const ModelSpec s = loadModelSpec(configPath("mixtral-8x7b"));
    CHECK(s.architectureName == "MixtralForCausalLM");
    CHECK(s.modelType == "mixtral");
    CHECK(s.hiddenSize == 4096);
    CHECK(s.vocabSize == 32000);
    CHECK(s.rmsNormEps == doctest::Approx(1e-5));
    CHECK(s.attention.kind == AttentionKind::Gqa);
    CHECK(s.attention.numHeads == 32);
    CHECK(s.attention.numKvHeads == 8);
    CHECK(s.attention.headDim == 128);
    CHECK_FALSE(s.attention.qkvBias);
    CHECK(s.attention.qkNorm == QkNorm::None);
    CHECK(s.rope.theta == doctest::Approx(1e6));
    CHECK(s.rope.type == "default");
    CHECK(s.rope.rotaryDim == 128);
    CHECK_FALSE(s.rope.interleaved);
    CHECK(s.router.softmaxFp32);
    CHECK(s.router.normTopkProb);
    CHECK(s.naming.moePrefix == "block_sparse_moe");
    CHECK(s.naming.gateProj == "w1");
    CHECK(s.naming.upProj == "w3");
    CHECK(s.naming.downProj == "w2");
    CHECK(s.layers[5].shared.count == 0);
    CHECK(s.bosTokenId == 1);
    CHECK(s.eosTokenId == 2);
    CHECK_FALSE(s.padTokenId.has_value());
}

TEST_CASE("Qwen1.5-MoE-A2.7B fields")
{
    const ModelSpec s = loadModelSpec(configPath("qwen1.5-moe-a2.7b"));
    CHECK(s.attention.numHeads == 16);
    CHECK(s.attention.numKvHeads == 16);
    CHECK(s.attention.headDim == 128);
    CHECK(s.attention.qkvBias);
    CHECK_FALSE(s.attention.oBias);
    CHECK(s.rope.theta == doctest::Approx(1e6));
    CHECK_FALSE(s.router.normTopkProb);
    CHECK(s.router.softmaxFp32);
    CHECK(s.naming.moePrefix == "mlp");
    CHECK(s.naming.gateProj == "gate_proj");
    CHECK(s.naming.sharedPrefix == "shared_expert");
    const auto& l = s.layers[0];
    CHECK(l.kind == LayerKind::Moe);
    CHECK(l.shared.count == 1);
    CHECK(l.shared.intermediateSize == 5632);
    CHECK(l.shared.gated);
    CHECK(s.maxPositionEmbeddings == 8192);
}

TEST_CASE("Qwen3-30B-A3B fields")
{
    const ModelSpec s = loadModelSpec(configPath("qwen3-30b-a3b"));
    CHECK(s.attention.headDim == 128); // head_dim from the config, not 2048/32
    CHECK(s.attention.numKvHeads == 4);
    CHECK(s.attention.qkNorm == QkNorm::PerHead);
    CHECK_FALSE(s.attention.qkvBias);
    CHECK(s.router.normTopkProb);
    CHECK(s.rope.rotaryDim == 128);
    CHECK(s.layers[47].shared.count == 0);
    CHECK(s.eosTokenId == 151645);
}

TEST_CASE("OLMoE-1B-7B fields")
{
    const ModelSpec s = loadModelSpec(configPath("olmoe-1b-7b"));
    CHECK(s.attention.qkNorm == QkNorm::Full);
    CHECK_FALSE(s.attention.clipQkv.has_value());
    CHECK_FALSE(s.router.normTopkProb);
    CHECK(s.rope.theta == doctest::Approx(10000.0));
    CHECK(s.rmsNormEps == doctest::Approx(1e-5));
    CHECK(s.padTokenId == 1);
    CHECK(s.eosTokenId == 50279);
    CHECK_FALSE(s.bosTokenId.has_value());
    json j = loadJson("olmoe-1b-7b");
    j["clip_qkv"] = 8.0;
    CHECK(*parseModelSpec(j).attention.clipQkv == doctest::Approx(8.0));
}

TEST_CASE("DeepSeek-V2-Lite fields")
{
    const ModelSpec s = loadModelSpec(configPath("deepseek-v2-lite"));
    const auto& a = s.attention;
    CHECK(a.kind == AttentionKind::Mla);
    CHECK(a.qLoraRank == 0); // "q_lora_rank": null
    CHECK(a.kvLoraRank == 512);
    CHECK(a.qkNopeHeadDim == 128);
    CHECK(a.qkRopeHeadDim == 64);
    CHECK(a.vHeadDim == 128);
    CHECK(a.qHeadDim() == 192);
    CHECK(s.rope.type == "yarn");
    CHECK(s.rope.factor == doctest::Approx(40.0));
    CHECK(s.rope.originalMaxPositionEmbeddings == 4096);
    CHECK(s.rope.betaFast == doctest::Approx(32.0));
    CHECK(s.rope.betaSlow == doctest::Approx(1.0));
    CHECK(s.rope.mscale == doctest::Approx(0.707));
    CHECK(s.rope.mscaleAllDim == doctest::Approx(0.707));
    CHECK(s.rope.rotaryDim == 64);
    CHECK(s.rope.interleaved);
    CHECK(s.layers[0].kind == LayerKind::Dense);
    CHECK(s.layers[0].intermediateSize == 10944);
    const auto& l = s.layers[1];
    CHECK(l.kind == LayerKind::Moe);
    CHECK(l.shared.count == 2);
    CHECK(l.shared.intermediateSize == 2816);
    CHECK_FALSE(l.shared.gated);
    CHECK(s.naming.sharedPrefix == "shared_experts");
    CHECK(s.router.softmaxFp32);
    CHECK(s.router.combineFp32);
    CHECK(s.router.topkMethod == TopkMethod::Greedy);
    CHECK_FALSE(s.router.normTopkProb);
    CHECK(s.router.routedScalingFactor == doctest::Approx(1.0));
    CHECK(s.maxPositionEmbeddings == 163840);
}

TEST_CASE("DeepSeekMoE-16B fields")
{
    const ModelSpec s = loadModelSpec(configPath("deepseek-moe-16b"));
    CHECK(s.attention.kind == AttentionKind::Gqa);
    CHECK(s.attention.numHeads == 16);
    CHECK(s.attention.numKvHeads == 16);
    CHECK(s.attention.headDim == 128);
    CHECK_FALSE(s.rope.interleaved);
    CHECK_FALSE(s.router.softmaxFp32);
    CHECK_FALSE(s.router.combineFp32);
    CHECK(s.router.routedScalingFactor == doctest::Approx(1.0));
    CHECK(s.layers[0].kind == LayerKind::Dense);
    CHECK(s.layers[27].shared.intermediateSize == 2816);
}

TEST_CASE("dense/MoE layer rules")
{
    json q = loadJson("qwen3-30b-a3b");
    q["decoder_sparse_step"] = 2;
    q["mlp_only_layers"] = {5, 100};
    ModelSpec s = parseModelSpec(q);
    CHECK(s.layers[0].kind == LayerKind::Dense); // (0+1) % 2 != 0
    CHECK(s.layers[1].kind == LayerKind::Moe);
    CHECK(s.layers[5].kind == LayerKind::Dense); // (5+1) % 2 == 0 but listed
    CHECK(s.layers[0].intermediateSize == 6144);
    CHECK(s.numMoeLayers() == 23);

    json d = loadJson("deepseek-v2-lite");
    d["first_k_dense_replace"] = 3;
    d["moe_layer_freq"] = 2;
    s = parseModelSpec(d);
    CHECK(s.moeLayerIndices() == std::vector<int>{4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26});
}

TEST_CASE("transformers v5 spellings parse like v4")
{
    json v4 = loadJson("qwen3-30b-a3b");
    json v5 = v4;
    v5.erase("rope_theta");
    v5.erase("rope_scaling");
    v5.erase("torch_dtype");
    v5.erase("num_experts");
    v5["rope_parameters"] = {{"rope_theta", 1000000.0}, {"rope_type", "default"}};
    v5["dtype"] = "bfloat16";
    v5["num_local_experts"] = 128; // v5 Qwen3MoeConfig saves num_experts through attribute_map
    const ModelSpec a = parseModelSpec(v4), b = parseModelSpec(v5);
    CHECK(b.rope.theta == doctest::Approx(a.rope.theta));
    CHECK(b.rope.type == a.rope.type);
    CHECK(b.dtype == a.dtype);
    CHECK(b.layers[3].numExperts == a.layers[3].numExperts);

    json d4 = loadJson("deepseek-v2-lite");
    json d5 = d4;
    json params = d4["rope_scaling"];
    params.erase("type");
    params["rope_type"] = "yarn";
    params["rope_theta"] = 10000;
    d5.erase("rope_scaling");
    d5.erase("rope_theta");
    d5["rope_parameters"] = params;
    const ModelSpec c = parseModelSpec(d4), e = parseModelSpec(d5);
    CHECK(e.rope.type == "yarn");
    CHECK(e.rope.theta == doctest::Approx(c.rope.theta));
    CHECK(e.rope.factor == doctest::Approx(c.rope.factor));
    CHECK(e.rope.mscaleAllDim == doctest::Approx(c.rope.mscaleAllDim));
    CHECK(e.rope.originalMaxPositionEmbeddings == c.rope.originalMaxPositionEmbeddings);

    // Per-attention-type rope_parameters: the full-attention entry applies.
    json nested = v5;
    nested["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}, {"rope_theta", 5e5}}}};
    CHECK(parseModelSpec(nested).rope.theta == doctest::Approx(5e5));
    // "torch.bfloat16" as some tools write it.
    nested["dtype"] = "torch.float16";
    CHECK(parseModelSpec(nested).dtype == DType::F16);
}

TEST_CASE("defaults come from the reference configuration classes")
{
    json m = loadJson("mixtral-8x7b");
    m.erase("rope_theta");
    m.erase("num_key_value_heads");
    m.erase("torch_dtype");
    ModelSpec s = parseModelSpec(m);
    CHECK(s.rope.theta == doctest::Approx(1e6)); // MixtralConfig default
    CHECK(s.attention.numKvHeads == 8); // MixtralConfig default
    CHECK_FALSE(s.dtypeFromConfig);
    m["num_key_value_heads"] = nullptr; // null: same as the heads
    CHECK(parseModelSpec(m).attention.numKvHeads == 32);

    json d = loadJson("deepseek-v2-lite");
    d.erase("q_lora_rank");
    d["topk_method"] = "group_limited_greedy";
    d["n_group"] = 8;
    d["topk_group"] = 3;
    s = parseModelSpec(d);
    CHECK(s.attention.qLoraRank == 1536); // DeepseekV2Config default
    CHECK(s.router.topkMethod == TopkMethod::GroupLimitedGreedy);
    CHECK(s.router.nGroup == 8);
    CHECK(s.router.topkGroup == 3);
}

TEST_CASE("hostile configs give errors naming the file and the field")
{
    const json mixtral = loadJson("mixtral-8x7b");
    auto with = [&](const char* key, json value) {
        json j = mixtral;
        j[key] = std::move(value);
        return j;
    };
    auto without = [&](const char* key) {
        json j = mixtral;
        j.erase(key);
        return j;
    };
    std::string e = errorOf(with("architectures", {"LlamaForCausalLM"}), "x/config.json");
    CHECK(contains(e, "x/config.json: unknown architecture 'LlamaForCausalLM'"));
    CHECK(contains(e, "supported: MixtralForCausalLM"));
    CHECK(contains(e, "DeepseekForCausalLM"));

    CHECK(contains(errorOf(without("hidden_size")), "config.json: missing required field 'hidden_size'"));
    CHECK(contains(errorOf(without("num_local_experts")), "missing required field 'num_local_experts'"));
    CHECK(contains(errorOf(without("num_experts_per_tok")), "missing required field 'num_experts_per_tok'"));
    json noArch = without("architectures");
    noArch.erase("model_type");
    CHECK(contains(errorOf(noArch), "missing required field 'architectures'"));

    CHECK(contains(
        errorOf(with("hidden_size", "4096")), "field 'hidden_size' must be an integer, got string \"4096\""));
    CHECK(contains(errorOf(with("hidden_size", 4096.5)), "field 'hidden_size' must be an integer"));
    CHECK(contains(errorOf(with("num_hidden_layers", true)), "field 'num_hidden_layers' must be an integer"));
    CHECK(contains(
        errorOf(with("architectures", "MixtralForCausalLM")), "field 'architectures' must be a list"));
    CHECK(contains(errorOf(with("rms_norm_eps", "small")), "field 'rms_norm_eps' must be a number"));
    CHECK(contains(
        errorOf(with("tie_word_embeddings", "no")), "field 'tie_word_embeddings' must be true or false"));
    CHECK(contains(errorOf(with("rope_scaling", 3)), "field 'rope_scaling' must be an object"));
    CHECK(contains(errorOf(with("torch_dtype", "bfloat17")), "unknown dtype"));

    CHECK(contains(
        errorOf(with("num_hidden_layers", -1)), "field 'num_hidden_layers' must be positive, got -1"));
    CHECK(
        contains(errorOf(with("intermediate_size", 0)), "field 'intermediate_size' must be positive, got 0"));
    CHECK(contains(
        errorOf(with("hidden_size", 1e15)), "field 'hidden_size' = 1000000000000000 is out of range"));
    CHECK(contains(
        errorOf(with("num_experts_per_tok", 9)), "num_experts_per_tok=9 exceeds num_local_experts=8"));
    CHECK(contains(errorOf(with("num_key_value_heads", 5)),
        "num_attention_heads=32 is not divisible by num_key_value_heads=5"));
    CHECK(contains(
        errorOf(with("model_type", "qwen2_moe")), "architectures[0] is 'MixtralForCausalLM' but model_type"));
    CHECK(contains(
        errorOf(with("rope_scaling", {{"type", "yarn"}})), "missing required field 'rope_scaling.factor'"));
    CHECK(contains(
        errorOf(with("rope_scaling", {{"type", "weird"}, {"factor", 2}})), "unsupported RoPE type 'weird'"));

    json d = loadJson("deepseek-v2-lite");
    d["scoring_func"] = "sigmoid";
    CHECK(contains(errorOf(d), "field 'scoring_func' is \"sigmoid\""));
    d = loadJson("deepseek-v2-lite");
    d["topk_method"] = "noaux_tc";
    CHECK(contains(errorOf(d), "field 'topk_method' is \"noaux_tc\""));
    d["topk_method"] = "group_limited_greedy";
    d["n_group"] = 5;
    CHECK(contains(errorOf(d), "n_routed_experts=64 is not divisible by n_group=5"));
    d["n_group"] = 8;
    d["topk_group"] = 9;
    CHECK(contains(errorOf(d), "topk_group=9 exceeds n_group=8"));

    CHECK(contains(
        errorOf(json::array({1, 2})), "config.json: expected a JSON object at the top level, got an array"));
    CHECK(contains(errorOf(json(42)), "expected a JSON object"));
    CHECK(contains(errorOfText("{\"hidden_size\": "), "bad/config.json: invalid JSON"));
    CHECK(contains(errorOfText(""), "bad/config.json: invalid JSON"));
    CHECK(contains(errorOfText("null"), "bad/config.json: expected a JSON object"));
    const std::string deep = "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK(contains(errorOfText(deep), "bad/config.json: JSON nested deeper than 64 levels"));

    try {
        (void)loadModelSpec(test::dataDir() / "configs" / "no-such-model" / "config.json");
        FAIL("expected an error");
    } catch (const Error& err) {
        CHECK(contains(err.what(), "no-such-model/config.json: no such file"));
    }
}

TEST_CASE("fuzzer regression inputs and seeds yield a spec or moewb::Error, never a crash")
{
    test::forEachFuzzInput("config", [](const std::filesystem::path& path, const std::string& text) {
        try {
            const ModelSpec spec = parseModelSpecText(text, path.string());
            (void)countParameters(spec);
            (void)expectedTensors(spec, ExpertLayout::FusedV5);
        } catch (const Error&) {
        }
    });
}

TEST_CASE("input files: only regular files are read, within a size limit, and quoted content is escaped")
{
    namespace fs = std::filesystem;
    test::TempDir dir;
    const fs::path config = dir.path / "config.json", tokenizer = dir.path / "tokenizer.json";
    // A device behind a symlink: /dev/zero read as "no config.json", /dev/urandom hung the tokenizer.
    fs::create_symlink("/dev/zero", config);
    CHECK(test::errorOf([&] { loadModelSpec(config); }) == config.string() + ": not a regular file");
    fs::create_symlink("/dev/urandom", tokenizer);
    CHECK(test::errorOf([&] { Tokenizer::fromFile(tokenizer); }) == tokenizer.string() + ": not a regular file");
    CHECK(test::errorOf([&] { readWholeFile(dir.path); }) == dir.path.string() + ": is a folder, not a file");
    CHECK(test::errorOf([&] { readWholeFile(dir.path / "none"); })
        == (dir.path / "none").string() + ": no such file");
    fs::remove(config);
    std::ofstream(config) << std::string(100, ' ');
    CHECK(readWholeFile(config, 100).size() == 100);
    CHECK(test::errorOf([&] { readWholeFile(config, 99, "config.json"); })
        == config.string() + ": 100 bytes, more than the 99 bytes limit for a config.json");
    CHECK(byteLimitText(kMaxConfigJsonBytes) == "16 MiB");
    CHECK(byteLimitText(kMaxTokenizerJsonBytes) == "1 GiB");

    // Content quoted in messages: control bytes and invalid UTF-8 escaped, valid UTF-8 kept, bounded.
    CHECK(printable("a\x01" "b\xfe\xff c\n") == "a\\x01b\\xfe\\xff c\\x0a");
    CHECK(printable("caf\xc3\xa9 \xe2\x82") == "caf\xc3\xa9 \\xe2\\x82");
    CHECK(printable(std::string(100, 'x'), 10) == std::string(10, 'x') + "...");
    fs::remove(tokenizer);
    std::ofstream(tokenizer, std::ios::binary) << "\xfe\xff{\""; // nlohmann quotes the \xfe it stopped at
    const std::string e = test::errorOf([&] { Tokenizer::fromFile(tokenizer); });
    CHECK(contains(e, tokenizer.string() + ": invalid JSON"));
    CHECK(contains(e, "last read: '\\xfe'"));
    CHECK(e.find('\xfe') == std::string::npos);
}
