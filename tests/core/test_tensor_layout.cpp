// Tensor names, expected shapes and checkpoint validation, on hand-made catalogs and on small
// synthetic checkpoints written with writeCheckpointWeights.
#include "core/io/error.h"
#include "core/io/model_spec.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_layout.h"
#include "core/io/warning.h"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <unistd.h>

using namespace moewb;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json tinyMixtral()
{
    return {{"architectures", {"MixtralForCausalLM"}}, {"model_type", "mixtral"}, {"hidden_size", 8},
        {"intermediate_size", 6}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
        {"num_key_value_heads", 1}, {"vocab_size", 16}, {"num_local_experts", 4}, {"num_experts_per_tok", 2}};
}

json tinyQwen2()
{
    return {{"architectures", {"Qwen2MoeForCausalLM"}}, {"hidden_size", 8}, {"intermediate_size", 10},
        {"moe_intermediate_size", 4}, {"shared_expert_intermediate_size", 12}, {"num_hidden_layers", 2},
        {"num_attention_heads", 2}, {"num_key_value_heads", 2}, {"vocab_size", 16}, {"num_experts", 3},
        {"num_experts_per_tok", 2}, {"mlp_only_layers", {1}}};
}

json tinyDeepseekV2()
{
    return {{"architectures", {"DeepseekV2ForCausalLM"}}, {"hidden_size", 8}, {"intermediate_size", 10},
        {"moe_intermediate_size", 4}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
        {"vocab_size", 16}, {"n_routed_experts", 4}, {"n_shared_experts", 1}, {"num_experts_per_tok", 2},
        {"first_k_dense_replace", 1}, {"q_lora_rank", 6}, {"kv_lora_rank", 5}, {"qk_nope_head_dim", 3},
        {"qk_rope_head_dim", 2}, {"v_head_dim", 4}};
}

TensorCatalog catalogFor(const ModelSpec& spec, ExpertLayout layout)
{
    TensorCatalog c;
    c.source = "model.safetensors";
    for (const auto& t : expectedTensors(spec, layout))
        c.tensors[t.name] = CatalogTensor{t.shape, DType::F32, t.numel() * 4, "model.safetensors"};
    return c;
}

const ExpectedTensor& find(const std::vector<ExpectedTensor>& list, const std::string& name)
{
    for (const auto& t : list)
        if (t.name == name)
            return t;
    FAIL("no expected tensor " << name);
    throw 0;
}

std::string validationError(const ModelSpec& spec, const TensorCatalog& catalog)
{
    try {
        (void)validateCheckpoint(spec, catalog);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

struct TempDir {
    fs::path path;
    TempDir()
    {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path()
            / ("moewb-layout-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

// Writes every expected tensor (zeros, F32), in shards of at most `shardBytes`.
void writeCheckpoint(const fs::path& dir, const ModelSpec& spec, ExpertLayout layout, uint64_t shardBytes,
    const std::string& override = {}, std::vector<int64_t> overrideShape = {})
{
    std::vector<std::vector<std::byte>> storage;
    std::vector<TensorToWrite> tensors;
    const auto expected = expectedTensors(spec, layout);
    storage.reserve(expected.size());
    for (const auto& t : expected) {
        auto shape = t.name == override ? overrideShape : t.shape;
        uint64_t numel = 1;
        for (auto d : shape)
            numel *= static_cast<uint64_t>(d);
        storage.emplace_back(numel * 4);
        tensors.push_back({t.name, DType::F32, shape, storage.back()});
    }
    WriteOptions options;
    options.shardSizeBytes = shardBytes;
    writeCheckpointWeights(dir, tensors, options);
}

} // namespace

TEST_CASE("tensor names")
{
    const ModelSpec mixtral = parseModelSpec(tinyMixtral());
    const ModelSpec qwen = parseModelSpec(tinyQwen2());
    const ModelSpec ds = parseModelSpec(tinyDeepseekV2());
    CHECK(layerPrefix(3) == "model.layers.3.");
    CHECK(embeddingName() == "model.embed_tokens.weight");
    CHECK(lmHeadName() == "lm_head.weight");
    CHECK(finalNormName() == "model.norm.weight");
    CHECK(inputNormName(1) == "model.layers.1.input_layernorm.weight");
    CHECK(postAttentionNormName(1) == "model.layers.1.post_attention_layernorm.weight");
    CHECK(expertProjName(mixtral, 1, 3, Proj::Gate) == "model.layers.1.block_sparse_moe.experts.3.w1.weight");
    CHECK(expertProjName(mixtral, 1, 3, Proj::Up) == "model.layers.1.block_sparse_moe.experts.3.w3.weight");
    CHECK(expertProjName(mixtral, 1, 3, Proj::Down) == "model.layers.1.block_sparse_moe.experts.3.w2.weight");
    CHECK(routerName(mixtral, 0) == "model.layers.0.block_sparse_moe.gate.weight");
    CHECK(routerName(mixtral, 0, ExpertLayout::FusedV5) == "model.layers.0.mlp.gate.weight");
    CHECK(fusedGateUpName(mixtral, 0) == "model.layers.0.mlp.experts.gate_up_proj");
    CHECK(fusedDownName(qwen, 0) == "model.layers.0.mlp.experts.down_proj");
    CHECK(expertProjName(qwen, 0, 2, Proj::Up) == "model.layers.0.mlp.experts.2.up_proj.weight");
    CHECK(sharedExpertProjName(qwen, 0, Proj::Down) == "model.layers.0.mlp.shared_expert.down_proj.weight");
    CHECK(sharedExpertGateName(0) == "model.layers.0.mlp.shared_expert_gate.weight");
    CHECK(sharedExpertProjName(ds, 1, Proj::Gate) == "model.layers.1.mlp.shared_experts.gate_proj.weight");
    CHECK(denseMlpProjName(0, Proj::Up) == "model.layers.0.mlp.up_proj.weight");
    CHECK(attentionName(2, AttnTensor::K) == "model.layers.2.self_attn.k_proj.weight");
    CHECK(attentionName(2, AttnTensor::Q, true) == "model.layers.2.self_attn.q_proj.bias");
    CHECK(attentionName(0, AttnTensor::KvA) == "model.layers.0.self_attn.kv_a_proj_with_mqa.weight");
    CHECK(attentionName(0, AttnTensor::QANorm) == "model.layers.0.self_attn.q_a_layernorm.weight");
    CHECK(isIgnorableTensor("model.layers.0.self_attn.rotary_emb.inv_freq"));
    CHECK_FALSE(isIgnorableTensor("model.layers.0.self_attn.q_proj.weight"));
}

TEST_CASE("expected tensors: Mixtral per-expert and fused")
{
    ModelSpec spec = parseModelSpec(tinyMixtral());
    auto per = expectedTensors(spec, ExpertLayout::PerExpert);
    CHECK(per.size() == 1 + 2 * (2 + 4 + 1 + 4 * 3) + 2);
    CHECK(find(per, "model.layers.1.block_sparse_moe.gate.weight").shape == std::vector<int64_t>{4, 8});
    CHECK(
        find(per, "model.layers.1.block_sparse_moe.experts.2.w1.weight").shape == std::vector<int64_t>{6, 8});
    CHECK(
        find(per, "model.layers.1.block_sparse_moe.experts.2.w2.weight").shape == std::vector<int64_t>{8, 6});
    CHECK(find(per, "model.layers.1.block_sparse_moe.experts.2.w2.weight").expert == 2);
    CHECK(find(per, "model.layers.0.self_attn.q_proj.weight").shape == std::vector<int64_t>{8, 8});
    CHECK(find(per, "model.layers.0.self_attn.k_proj.weight").shape == std::vector<int64_t>{4, 8});
    CHECK_FALSE(find(per, "lm_head.weight").optional);

    auto fused = expectedTensors(spec, ExpertLayout::FusedV5);
    CHECK(fused.size() == 1 + 2 * (2 + 4 + 1 + 2) + 2);
    CHECK(find(fused, "model.layers.0.mlp.experts.gate_up_proj").shape == std::vector<int64_t>{4, 12, 8});
    CHECK(find(fused, "model.layers.0.mlp.experts.down_proj").shape == std::vector<int64_t>{4, 8, 6});

    spec.tieWordEmbeddings = true;
    CHECK(find(expectedTensors(spec), "lm_head.weight").optional);
}

TEST_CASE("expected tensors: Qwen shared expert and biases, DeepSeek-V2 MLA and dense layer")
{
    const ModelSpec qwen = parseModelSpec(tinyQwen2());
    auto q = expectedTensors(qwen);
    CHECK(find(q, "model.layers.0.self_attn.q_proj.bias").shape == std::vector<int64_t>{8});
    CHECK(find(q, "model.layers.0.mlp.shared_expert.gate_proj.weight").shape == std::vector<int64_t>{12, 8});
    CHECK(find(q, "model.layers.0.mlp.shared_expert_gate.weight").shape == std::vector<int64_t>{1, 8});
    CHECK(find(q, "model.layers.1.mlp.down_proj.weight").shape
        == std::vector<int64_t>{8, 10}); // mlp_only_layers
    CHECK(find(q, "model.layers.1.mlp.down_proj.weight").component == Component::DenseMlp);

    const ModelSpec ds = parseModelSpec(tinyDeepseekV2());
    auto d = expectedTensors(ds);
    CHECK(find(d, "model.layers.0.mlp.gate_proj.weight").shape == std::vector<int64_t>{10, 8});
    CHECK(find(d, "model.layers.1.self_attn.q_a_proj.weight").shape == std::vector<int64_t>{6, 8});
    CHECK(find(d, "model.layers.1.self_attn.q_a_layernorm.weight").shape == std::vector<int64_t>{6});
    CHECK(find(d, "model.layers.1.self_attn.q_b_proj.weight").shape == std::vector<int64_t>{2 * 5, 6});
    CHECK(find(d, "model.layers.1.self_attn.kv_a_proj_with_mqa.weight").shape
        == std::vector<int64_t>{5 + 2, 8});
    CHECK(find(d, "model.layers.1.self_attn.kv_a_layernorm.weight").shape == std::vector<int64_t>{5});
    CHECK(find(d, "model.layers.1.self_attn.kv_b_proj.weight").shape == std::vector<int64_t>{2 * (3 + 4), 5});
    CHECK(find(d, "model.layers.1.self_attn.o_proj.weight").shape == std::vector<int64_t>{8, 2 * 4});
    CHECK(find(d, "model.layers.1.mlp.shared_experts.up_proj.weight").shape == std::vector<int64_t>{4, 8});
    CHECK(find(d, "model.layers.1.mlp.gate.weight").shape == std::vector<int64_t>{4, 8});
}

TEST_CASE("validation of hand-made catalogs")
{
    const ModelSpec spec = parseModelSpec(tinyMixtral());
    for (auto layout : {ExpertLayout::PerExpert, ExpertLayout::FusedV5}) {
        auto catalog = catalogFor(spec, layout);
        CHECK(detectExpertLayout(spec, catalog) == layout);
        auto result = validateCheckpoint(spec, catalog);
        CHECK(result.layout == layout);
        CHECK(result.warnings.empty());
        CHECK(result.tensorsChecked == catalog.tensors.size());
    }

    auto catalog = catalogFor(spec, ExpertLayout::PerExpert);
    auto wrong = catalog;
    wrong.tensors["model.layers.1.block_sparse_moe.gate.weight"].shape = {3, 8};
    wrong.tensors["model.layers.1.block_sparse_moe.gate.weight"].file = "model-00002-of-00003.safetensors";
    CHECK(contains(validationError(spec, wrong),
        "model-00002-of-00003.safetensors: tensor 'model.layers.1.block_sparse_moe.gate.weight' has "
        "shape [3,8], config says num_local_experts=4"));
    wrong = catalog;
    wrong.tensors["model.layers.0.self_attn.k_proj.weight"].shape = {8, 8};
    CHECK(contains(
        validationError(spec, wrong), "has shape [8,8], config says num_key_value_heads*head_dim=4"));
    wrong = catalog;
    wrong.tensors["model.norm.weight"].shape = {8, 1};
    CHECK(contains(
        validationError(spec, wrong), "tensor 'model.norm.weight' has shape [8,1], config expects [8]"));

    auto missing = catalog;
    missing.tensors.erase("model.layers.0.block_sparse_moe.experts.1.w3.weight");
    CHECK(contains(validationError(spec, missing),
        "model.safetensors: tensor 'model.layers.0.block_sparse_moe.experts.1.w3.weight' is missing "
        "(config says num_local_experts=4)"));
    missing = catalog;
    missing.tensors.erase("lm_head.weight");
    CHECK(contains(
        validationError(spec, missing), "'lm_head.weight' is missing (tie_word_embeddings is false)"));
    ModelSpec tied = spec;
    tied.tieWordEmbeddings = true;
    CHECK(validateCheckpoint(tied, missing).warnings.empty());

    auto extra = catalog;
    extra.tensors["model.layers.1.block_sparse_moe.experts.4.w1.weight"]
        = {{6, 8}, DType::F32, 192, "model.safetensors"};
    CHECK(contains(validationError(spec, extra),
        "tensor 'model.layers.1.block_sparse_moe.experts.4.w1.weight' belongs "
        "to expert 4, but config says num_local_experts=4 (experts 0..3)"));

    auto odd = catalog;
    odd.tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = {{2}, DType::F32, 8, "model.safetensors"};
    odd.tensors["model.layers.2.input_layernorm.weight"] = {{8}, DType::F32, 32, "model.safetensors"};
    odd.tensors["model.layers.0.block_sparse_moe.experts.0.w1.bias"]
        = {{6}, DType::F32, 24, "model.safetensors"};
    auto result = validateCheckpoint(spec, odd);
    REQUIRE(result.warnings.size() == 2);
    CHECK(contains(
        result.warnings[0], "unexpected tensor 'model.layers.0.block_sparse_moe.experts.0.w1.bias' [6]"));
    CHECK(contains(
        result.warnings[1], "'model.layers.2.input_layernorm.weight' [8] (config says num_hidden_layers=2)"));

    // Many problems: the first ten are listed and the rest counted.
    auto empty = catalog;
    empty.tensors.clear();
    const std::string all = validationError(spec, empty);
    CHECK(contains(all, "'model.embed_tokens.weight' is missing"));
    CHECK(contains(all, "(and 31 more problems)"));
}

TEST_CASE("validation of written checkpoints: sharded per-expert and fused")
{
    const ModelSpec spec = parseModelSpec(tinyMixtral());
    {
        TempDir dir;
        writeCheckpoint(dir.path, spec, ExpertLayout::PerExpert, 2048);
        auto checkpoint = Checkpoint::open(dir.path);
        REQUIRE(checkpoint->files().size() > 1);
        CHECK(detectExpertLayout(spec, *checkpoint) == ExpertLayout::PerExpert);
        auto result = validateCheckpoint(spec, *checkpoint);
        CHECK(result.warnings.empty());
        CHECK(catalogOf(*checkpoint).source == (dir.path / "model.safetensors.index.json").string());
    }
    {
        TempDir dir;
        writeCheckpoint(dir.path, spec, ExpertLayout::FusedV5, 0);
        auto checkpoint = Checkpoint::open(dir.path);
        CHECK(detectExpertLayout(spec, *checkpoint) == ExpertLayout::FusedV5);
        CHECK(validateCheckpoint(spec, *checkpoint).layout == ExpertLayout::FusedV5);
    }
    {
        TempDir dir;
        writeCheckpoint(dir.path, spec, ExpertLayout::PerExpert, 2048,
            "model.layers.1.block_sparse_moe.gate.weight", {3, 8});
        auto checkpoint = Checkpoint::open(dir.path);
        // Named with its folder, as given (a bare "model.safetensors" did not say which model).
        const std::string file = checkpoint->fileOf("model.layers.1.block_sparse_moe.gate.weight").path().string();
        CHECK(contains(file, dir.path.string() + "/model-"));
        CHECK(contains(file, "-of-"));
        try {
            (void)validateCheckpoint(spec, *checkpoint);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(contains(e.what(),
                file
                    + ": tensor 'model.layers.1.block_sparse_moe.gate.weight' has shape [3,8], "
                      "config says num_local_experts=4"));
        }
    }
}

TEST_CASE("a config with fewer layers than its checkpoint: one warning naming both counts, given once")
{
    const ModelSpec spec = parseModelSpec(tinyMixtral());
    TempDir dir;
    writeCheckpoint(dir.path, spec, ExpertLayout::PerExpert, 0);
    auto checkpoint = Checkpoint::open(dir.path);
    CHECK(unusedLayersWarning(spec, validateCheckpoint(spec, *checkpoint), "c.json").empty());

    auto config = tinyMixtral();
    config["num_hidden_layers"] = 1;
    const ModelSpec shorter = parseModelSpec(config);
    const auto validation = validateCheckpoint(shorter, *checkpoint); // not an error: transformers loads it
    CHECK(validation.checkpointLayers == 2);
    const std::string warning = unusedLayersWarning(shorter, validation, "short/config.json");
    CHECK(warning
        == "short/config.json: num_hidden_layers=1, but " + (dir.path / "model.safetensors").string()
            + " holds 2 layers; the model runs with 1 and the weights of layer 1 are not used");

    std::vector<std::string> given;
    setWarningHandler([&](const std::string& m) { given.push_back(m); });
    warnOnce(warning);
    warnOnce(warning);
    warnOnce("another");
    setWarningHandler({});
    CHECK(given == std::vector<std::string>{warning, "another"});
}
