// The committed demo models (resources/demo/models, issue #8): the project's forward pass against
// transformers' (tests/reference/golden/demo, float64 reference from gen_golden_demo.py), and the bars
// the models must clear on held-out text: routing entropy <= 0.9 log E and no expert below 1% of the
// top-k assignments in any layer, perplexity below the bigram baseline, multiple choice above chance.
#include "core/calib/dataset.h"
#include "core/eval/multiple_choice.h"
#include "core/eval/perplexity.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/train/demo_report.h"
#include "support/golden.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace moewb;
namespace fs = std::filesystem;

namespace {

const char* kArchs[] = {"mixtral", "qwen", "deepseek"};

fs::path demoDir() { return test::sourceDir() / "resources" / "demo"; }

std::unique_ptr<MoeModel> openDemo(const std::string& arch)
{
    auto model = MoeModel::open(demoDir() / "models" / arch, ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    return model;
}

torch::Tensor goldenTensor(const SafetensorsFile& file, const std::string& name)
{
    const TensorInfo* info = file.find(name);
    REQUIRE_MESSAGE(info != nullptr, "golden tensor missing: " << name);
    auto t = torch::empty(std::vector<int64_t>(info->shape.begin(), info->shape.end()), toScalarType(info->dtype));
    auto bytes = file.bytes(*info);
    std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
    return t;
}

} // namespace

TEST_CASE("demo models: logits and routing match transformers")
{
    for (const std::string arch : kArchs) {
        CAPTURE(arch);
        auto golden = SafetensorsFile::open(test::referenceDir() / "golden" / "demo" / (arch + ".safetensors"));
        auto model = openDemo(arch);
        for (const std::string batch : {"a", "b"}) {
            CAPTURE(batch);
            const auto ids = goldenTensor(*golden, "input_ids_" + batch);
            const auto mask = goldenTensor(*golden, "attention_mask_" + batch);
            const auto ref = goldenTensor(*golden, "logits_" + batch);
            std::vector<torch::Tensor> topk;
            ForwardOptions fo;
            fo.onLayer = [&](const LayerTrace& t) {
                if (t.moe)
                    topk.push_back(std::get<1>(t.moe->logits.topk(t.moe->routing.ids.size(1), -1)));
            };
            const auto out = model->forward(ids, batch == "a" ? torch::Tensor() : mask, fo);
            const auto valid = mask.to(torch::kBool).unsqueeze(-1).expand_as(ref);
            const double diff = (out.logits - ref).abs().masked_select(valid).max().item<double>();
            const double scale = ref.abs().max().item<double>();
            INFO("max|diff| ", diff, " max|ref| ", scale);
            CHECK(diff <= 1e-4 * scale);
            if (batch == "a" && golden->find("topk_ids_a.0")) {
                // Same experts chosen (as sets) for at least 99% of the token-layer pairs: fp32 vs
                // float64 may flip a near tie.
                int64_t same = 0, total = 0;
                for (size_t l = 0; l < topk.size(); ++l) {
                    auto mine = std::get<0>(topk[l].sort(-1));
                    auto theirs = std::get<0>(goldenTensor(*golden, "topk_ids_a." + std::to_string(l)).sort(-1));
                    same += (mine == theirs.reshape_as(mine)).all(-1).sum().item<int64_t>();
                    total += mine.size(0);
                }
                CHECK(total > 0);
                CHECK(static_cast<double>(same) >= 0.99 * static_cast<double>(total));
            }
        }
    }
}

TEST_CASE("demo models clear the bars on held-out text")
{
    const auto tokenizer = Tokenizer::fromFile(demoDir() / "tokenizer" / "tokenizer.json");
    const auto blocks = loadTextBlocks(demoDir() / "eval.txt", tokenizer, BlockOptions{0, 128});
    const auto task = readMultipleChoiceTask(demoDir() / "tasks.jsonl");
    const auto questions = encodeQuestions(task, tokenizer);
    // Interpolated bigram on eval.txt with counts from the train split (resources/demo/README.md).
    constexpr double kBigramPerplexity = 50.98;
    for (const std::string arch : kArchs) {
        CAPTURE(arch);
        auto model = openDemo(arch);
        for (const auto& r : routingReport(*model, blocks.ids)) {
            CAPTURE(r.layer);
            CHECK(r.entropyRatio <= 0.9);
            CHECK(r.minShare >= 0.01);
        }
        const auto ppl = perplexity(modelLogits(*model), blocks.ids);
        CHECK(ppl.perplexity < kBigramPerplexity);
        const auto mc = scoreMultipleChoice(modelLogits(*model), questions);
        CHECK(mc.acc > 0.25 + 3 * mc.accStderr); // four choices
    }
}
