// Training (core/train): the learning-rate schedule and the load-balancing loss against hand-computed
// values, initial weights as transformers draws them, learning on a tiny model, bit-identical resume,
// and a written checkpoint that reopens with the trained weights (rounded to bf16).
#include "core/io/error.h"
#include "core/train/demo_arch.h"
#include "core/train/demo_report.h"
#include "core/train/trainer.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <torch/types.h>

#include <cmath>
#include <fstream>

using namespace moewb;
namespace fs = std::filesystem;

namespace {

// A Qwen1.5-MoE-style config shrunk for tests: 2 layers, d 32, 4 experts top-2, shared expert.
nlohmann::json tinyConfig(DemoArch arch = DemoArch::Qwen)
{
    auto c = demoConfig(arch, {64, 0, 0, 64});
    c["hidden_size"] = 32;
    c["num_hidden_layers"] = 2;
    c["num_attention_heads"] = 2;
    c["num_key_value_heads"] = 2;
    c["intermediate_size"] = 48;
    if (arch == DemoArch::Mixtral) {
        c["head_dim"] = 16;
        c["num_local_experts"] = 4;
        c["intermediate_size"] = 16;
    } else if (arch == DemoArch::Qwen) {
        c["num_experts"] = 4;
        c["num_experts_per_tok"] = 2;
        c["moe_intermediate_size"] = 16;
        c["shared_expert_intermediate_size"] = 32;
    } else {
        c["n_routed_experts"] = 4;
        c["num_experts_per_tok"] = 2;
        c["moe_intermediate_size"] = 16;
        c["kv_lora_rank"] = 16;
        c["qk_nope_head_dim"] = 8;
        c["qk_rope_head_dim"] = 8;
        c["v_head_dim"] = 8;
    }
    return c;
}

// A stream with structure to learn: a fixed pseudo-random sequence of 40 tokens, repeated.
std::vector<int32_t> patternStream(size_t length)
{
    std::vector<int32_t> ids(length);
    for (size_t i = 0; i < length; ++i)
        ids[i] = static_cast<int32_t>(((i % 40) * 37 + 11) % 61 + 1);
    return ids;
}

TrainOptions tinyOptions(int64_t steps)
{
    TrainOptions o;
    o.steps = steps;
    o.batchSize = 4;
    o.seqLen = 16;
    o.lr = 1e-2;
    o.warmupSteps = 2;
    o.evalEvery = 1000;
    o.evalBlocks = 4;
    o.checkpointEvery = 1000;
    o.seed = 7;
    return o;
}

} // namespace

TEST_CASE("learning rate: linear warm-up, then cosine down to the floor")
{
    TrainOptions o;
    o.lr = 1.0;
    o.warmupSteps = 10;
    o.steps = 110;
    o.minLrFraction = 0.1;
    CHECK(learningRate(o, 0) == doctest::Approx(0.1));
    CHECK(learningRate(o, 9) == doctest::Approx(1.0));
    CHECK(learningRate(o, 10) == doctest::Approx(1.0));
    CHECK(learningRate(o, 60) == doctest::Approx(0.55)); // half way: 0.1 + 0.9 * 0.5
    CHECK(learningRate(o, 110) == doctest::Approx(0.1));
}

TEST_CASE("load-balancing loss: E * sum_e share_e * meanprob_e")
{
    const double l3 = std::log(3.0);
    // Both tokens prefer expert 1 with p = 0.75: share (0, 1), mean p (0.25, 0.75) -> 2 * 0.75.
    auto skewed = torch::tensor({0.0, l3, 0.0, l3}, torch::kFloat).reshape({2, 2});
    CHECK(loadBalancingLoss(skewed, 1).item<double>() == doctest::Approx(1.5));
    // Mirrored preferences: share (0.5, 0.5), mean p (0.5, 0.5) -> 1, the balanced minimum.
    auto balanced = torch::tensor({l3, 0.0, 0.0, l3}, torch::kFloat).reshape({2, 2});
    CHECK(loadBalancingLoss(balanced, 1).item<double>() == doctest::Approx(1.0));
    // Gradients reach the router logits.
    auto logits = skewed.clone().requires_grad_(true);
    loadBalancingLoss(logits, 1).backward();
    CHECK(logits.grad().abs().sum().item<double>() > 0);
}

TEST_CASE("initial weights: ones for norms, zeros for biases, normal(0, 0.02) elsewhere")
{
    test::TempDir dir;
    TrainOptions o = tinyOptions(1);
    Trainer trainer(tinyConfig(), dir.path / "work", o);
    int checked = 0;
    for (const auto& [name, t] : trainer.model().namedParameters()) {
        if (name.find("norm") != std::string::npos) {
            CHECK(torch::all(t == 1).item<bool>());
        } else if (name.size() > 5 && name.substr(name.size() - 5) == ".bias") {
            CHECK(torch::all(t == 0).item<bool>());
        } else if (t.numel() >= 1000) {
            CHECK(t.std().item<double>() == doctest::Approx(0.02).epsilon(0.1));
            CHECK(std::abs(t.mean().item<double>()) < 0.003);
        }
        ++checked;
    }
    CHECK(checked > 20);
}

TEST_CASE("a tiny model learns a repeated pattern, for every demo architecture")
{
    for (auto arch : {DemoArch::Mixtral, DemoArch::Qwen, DemoArch::DeepSeek}) {
        CAPTURE(demoArchName(arch));
        test::TempDir dir;
        const auto stream = patternStream(4000);
        Trainer trainer(tinyConfig(arch), dir.path, tinyOptions(60));
        const double before = trainer.evaluate(stream, 4);
        CHECK(before == doctest::Approx(std::log(64.0)).epsilon(0.05)); // near uniform at start
        const auto summary = trainer.run(stream, stream);
        CHECK(summary.finalValidLoss < 0.5 * before);
        CHECK(summary.tokens == 60 * 4 * 16);
    }
}

TEST_CASE("an interrupted training resumes to bit-identical weights")
{
    test::TempDir a, b;
    const auto stream = patternStream(2000);
    const auto o = tinyOptions(6);
    Trainer straight(tinyConfig(), a.path, o);
    straight.run(stream, stream);

    {
        Trainer first(tinyConfig(), b.path, o);
        CHECK_THROWS_AS(first.run(stream, stream, [](const TrainStepReport& r) { return r.step < 3; }), Cancelled);
    }
    CHECK(fs::exists(b.path / "state" / "params.pt"));
    Trainer second(tinyConfig(), b.path, o);
    const auto summary = second.run(stream, stream);
    CHECK(summary.resumedFromStep == 3);

    const auto pa = straight.model().namedParameters();
    const auto pb = second.model().namedParameters();
    REQUIRE(pa.size() == pb.size());
    for (size_t i = 0; i < pa.size(); ++i) {
        CAPTURE(pa[i].first);
        CHECK(torch::equal(pa[i].second, pb[i].second));
    }

    // Other settings refuse the resume point instead of mixing two trainings.
    auto other = o;
    other.lr = 5e-3;
    Trainer mismatched(tinyConfig(), b.path, other);
    CHECK_THROWS_AS(mismatched.run(stream, stream), Error);
}

TEST_CASE("the written checkpoint reopens with the trained weights in bf16")
{
    test::TempDir dir;
    const auto stream = patternStream(2000);
    Trainer trainer(tinyConfig(), dir.path / "work", tinyOptions(3));
    const auto summary = trainer.run(stream, stream);
    fs::create_directories(dir.path / "tok");
    std::ofstream(dir.path / "tok" / "tokenizer.json") << "{}";
    std::ofstream(dir.path / "tok" / "tokenizer_config.json") << "{}";
    writeTrainedCheckpoint(trainer.model(), tinyConfig(), dir.path / "tok", dir.path / "out", summary.log);
    CHECK(fs::exists(dir.path / "out" / "tokenizer.json"));
    CHECK(fs::exists(dir.path / "out" / "training.json"));
    // Never over an existing model.
    CHECK_THROWS_AS(writeTrainedCheckpoint(trainer.model(), tinyConfig(), dir.path / "tok", dir.path / "out", {}),
                    Error);

    auto reopened = MoeModel::open(dir.path / "out", ComputeOptions{torch::kFloat, torch::kCPU});
    CHECK(reopened->spec().dtype == DType::BF16);
    const auto mine = trainer.model().namedParameters();
    const auto theirs = reopened->namedParameters();
    REQUIRE(mine.size() == theirs.size());
    for (size_t i = 0; i < mine.size(); ++i) {
        CAPTURE(mine[i].first);
        CHECK(mine[i].first == theirs[i].first);
        CHECK(torch::equal(mine[i].second.detach().to(torch::kBFloat16).to(torch::kFloat), theirs[i].second));
    }
}

TEST_CASE("bigram baseline: hand-computed perplexity")
{
    // train: 1 2 1 2 1 3 -> c(1)=3, pairs (1,2)x2 (2,1)x2 (1,3)x1; vocab 4; N = 6.
    const std::vector<int32_t> train{1, 2, 1, 2, 1, 3};
    const std::vector<int32_t> eval{1, 2, 1, 3};
    const auto r = bigramBaseline(train, eval, eval, 4, 4);
    auto p = [&](double pairCount, double firstCount, double uni) {
        return r.lambda * pairCount / firstCount + (1 - r.lambda) * (uni + 1) / 10.0;
    };
    // Predictions: 2|1, 1|2, 3|1.
    const double nll = -(std::log(p(2, 3, 2)) + std::log(p(2, 2, 3)) + std::log(p(1, 3, 1))) / 3.0;
    CHECK(r.testPerplexity == doctest::Approx(std::exp(nll)));
    CHECK(r.lambda == doctest::Approx(0.95)); // eval is the training pattern: trust the bigram most
}

TEST_CASE("options that cannot train are refused before anything is written")
{
    test::TempDir dir;
    const auto refused = [&](TrainOptions o, const char* what) {
        CAPTURE(what);
        CHECK_THROWS_AS(Trainer(tinyConfig(), dir.path / "work", o), Error);
        CHECK_FALSE(fs::exists(dir.path / "work"));
    };
    auto o = tinyOptions(4);
    o.evalEvery = 0; // was a division by zero (SIGFPE)
    refused(o, "evaluation interval 0");
    o = tinyOptions(4);
    o.checkpointEvery = 0;
    refused(o, "checkpoint interval 0");
    o = tinyOptions(4);
    o.warmupSteps = -1;
    refused(o, "negative warm-up");
    o = tinyOptions(4);
    o.lr = std::nan("");
    refused(o, "NaN learning rate");
    o = tinyOptions(4);
    o.seqLen = tinyConfig()["max_position_embeddings"].get<int64_t>() + 1;
    CHECK_THROWS_WITH_AS(Trainer(tinyConfig(), dir.path / "work", o), doctest::Contains("max_position_embeddings"), Error);
    CHECK_FALSE(fs::exists(dir.path / "work"));
    std::ofstream(dir.path / "file") << "x";
    CHECK_THROWS_WITH_AS(Trainer(tinyConfig(), dir.path / "file", tinyOptions(4)), doctest::Contains("is a file"), Error);
}
