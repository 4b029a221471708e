// LoRA recovery fine-tuning (core/train/lora.h): untrained adapters leave the model bit-identical,
// adapter gradients match finite differences, training lowers the loss and never changes a non-LoRA
// weight, and the merged plan (low-rank deltas, including on factored experts) computes what the
// adapters computed.
#include "core/io/error.h"
#include "core/plan/apply.h"
#include "core/train/lora.h"
#include "support/golden.h"

#include <doctest/doctest.h>
#include <torch/torch.h>

using namespace moewb;
using moewb::test::GoldenSet;

namespace {

std::unique_ptr<MoeModel> open(const std::string& name, torch::ScalarType dtype = torch::kDouble)
{
    auto m = MoeModel::open(GoldenSet(name).dir(), ComputeOptions{dtype, torch::kCPU});
    m->makeResident();
    return m;
}

std::vector<int32_t> periodic(int64_t n, int vocab)
{
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        ids[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7 + (i / 5) % 3) % std::min(vocab, 41));
    return ids;
}

torch::Tensor sample(const ModelSpec& spec)
{
    torch::manual_seed(3);
    return torch::randint(spec.vocabSize, {2, 10}, torch::kLong);
}

} // namespace

TEST_CASE("untrained adapters change nothing; gradients match finite differences")
{
    auto model = open("qwen2_moe");
    const auto ids = sample(model->spec());
    const auto before = model->forward(ids).logits;
    LoraOptions lo;
    lo.rank = 2;
    lo.dropout = 0.0;
    auto adapters = attachLora(*model, lo);
    CHECK(adapters.size() > 4);
    CHECK(torch::equal(model->forward(ids).logits, before));

    // Finite differences on one attention and one expert adapter, with non-zero up matrices.
    torch::manual_seed(9);
    {
        torch::NoGradGuard g;
        for (auto& a : adapters)
            a.up.copy_(torch::randn_like(a.up) * 0.1);
    }
    torch::Tensor windows = torch::randint(model->spec().vocabSize, {2, 9}, torch::kLong);
    size_t expert = 0;
    for (size_t i = 0; i < adapters.size(); ++i)
        if (adapters[i].parameter.find(".experts.") != std::string::npos) {
            expert = i;
            break;
        }
    for (size_t which : {size_t{0}, expert}) {
        CAPTURE(adapters[which].parameter);
        for (auto& a : adapters) {
            a.down.mutable_grad() = torch::Tensor();
            a.up.mutable_grad() = torch::Tensor();
        }
        ForwardOptions fo;
        fo.enableGrad = true;
        auto logits = model->forward(windows.narrow(1, 0, 8), {}, fo).logits;
        torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), windows.narrow(1, 1, 8).reshape({-1})).backward();
        for (torch::Tensor* t : {&adapters[which].down, &adapters[which].up}) {
            const double analytic = t->grad().view(-1)[1].item<double>();
            const double h = 1e-6;
            auto at = [&](double delta) {
                torch::NoGradGuard g;
                t->view(-1)[1] += delta;
                const double l = lmLoss(*model, windows, false);
                t->view(-1)[1] -= delta;
                return l;
            };
            const double numeric = (at(h) - at(-h)) / (2 * h);
            CHECK(analytic == doctest::Approx(numeric).epsilon(1e-5).scale(1e-8));
        }
    }
}

TEST_CASE("training lowers the loss, touches only adapters, and the merged plan equals the adapters")
{
    auto model = open("mixtral");
    const auto& spec = model->spec();
    const int l = spec.moeLayerIndices().front();
    // A compressed model: one expert removed, one factored (plain SVD at rank 4).
    const Plan compressed{"c", "moe-i2", {}, {RemoveExperts{l, {1}}, FactorExperts{l, {{2, 4, SvdMode::Plain}}, {}}}};
    applyPlan(*model, compressed);
    std::map<std::string, torch::Tensor> frozen;
    for (const auto& [name, t] : model->namedParameters())
        frozen[name] = t.clone();

    LoraOptions lo;
    lo.rank = 4;
    auto adapters = attachLora(*model, lo);
    bool factorAdapters = false;
    for (const auto& a : adapters)
        factorAdapters |= a.parameter.ends_with(".A") || a.parameter.ends_with(".B");
    CHECK(factorAdapters);
    const auto train = periodic(4000, spec.vocabSize), held = periodic(600, spec.vocabSize);
    FinetuneOptions fo;
    fo.steps = 30;
    fo.batchSize = 4;
    fo.seqLen = 16;
    fo.lr = 1e-2;
    fo.evalEvery = 10;
    fo.evalBlocks = 4;
    fo.patience = 0;
    const auto result = finetuneLora(*model, adapters, train, held, fo);
    CHECK(result.steps == 30);
    CHECK(result.heldOut.size() == 4);
    CHECK(result.bestPerplexity < result.heldOut.front().second * 0.9);
    double early = 0, late = 0;
    for (int i = 0; i < 5; ++i) {
        early += result.losses[static_cast<size_t>(i)];
        late += result.losses[result.losses.size() - 1 - static_cast<size_t>(i)];
    }
    CHECK(late < early);
    for (const auto& [name, t] : model->namedParameters())
        CHECK_MESSAGE(torch::equal(t, frozen.at(name)), name);

    // Merged: the compressed plan plus the adapters as low-rank deltas, applied to a fresh model.
    Plan merged = compressed;
    for (auto& d : loraDeltas(adapters, "lora/t"))
        merged.steps.push_back(d);
    const auto tensors = loraTensors(adapters, "lora/t");
    auto fresh = open("mixtral");
    const auto info = applyPlan(*fresh, merged, [&](const std::string& name) { return tensors.at(name); });
    const auto ids = sample(spec);
    torch::Tensor withAdapters;
    {
        torch::NoGradGuard g;
        withAdapters = model->forward(ids).logits;
    }
    CHECK((fresh->forward(ids).logits - withAdapters).abs().max().item<double>() < 1e-5); // f32 tensor store precision
    CHECK(info.parameters == accountPlan(spec, compressed).result.total()); // deltas change values, not sizes

    detachLora(*model);
    CHECK(torch::equal(model->forward(ids).logits, [&] {
        auto again = open("mixtral");
        applyPlan(*again, compressed);
        return again->forward(ids).logits;
    }()));
}

TEST_CASE("fine-tuning refuses what it cannot do")
{
    auto bf16 = MoeModel::open(GoldenSet("qwen2_moe").dir(), ComputeOptions{torch::kBFloat16, torch::kCPU});
    CHECK_THROWS_WITH_AS(attachLora(*bf16, {}), doctest::Contains("fp32"), Error);
    auto model = open("qwen2_moe");
    LoraOptions none;
    none.attention = none.experts = none.shared = false;
    auto adapters = attachLora(*model, none);
    CHECK(adapters.empty());
    CHECK_THROWS_WITH_AS(finetuneLora(*model, adapters, periodic(100, 50), {}, {}), doctest::Contains("no adapters"), Error);
    LoraOptions lo;
    auto some = attachLora(*model, lo);
    FinetuneOptions fo;
    fo.seqLen = 64;
    CHECK_THROWS_WITH_AS(finetuneLora(*model, some, periodic(20, 50), {}, fo), doctest::Contains("fewer than one window"), Error);
}
