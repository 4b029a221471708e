// LoRA recovery fine-tuning (core/train/lora.h): untrained adapters leave the model bit-identical,
// adapter gradients match finite differences (plain and factored matrices), training lowers the loss
// and never changes a non-LoRA weight, the merged plan (low-rank deltas, including on factored experts)
// computes what the adapters computed, also after an export and a reload; zero steps change nothing;
// instruction pairs are batched with the prompt and the padding masked (hand-computed loss); a run
// interrupted and resumed from its checkpoint ends exactly where an uninterrupted one does (and first
// reports the checkpoint's steps again, as that run reported them); the PEFT adapter export. The distillation objective: test_lora_distill.cpp.
#include "core/export/export.h"
#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "core/io/tokenizer.h"
#include "core/io/warning.h"
#include "core/plan/apply.h"
#include "core/train/lora.h"
#include "core/train/lora_checkpoint.h"
#include "core/train/lora_peft.h"
#include "support/golden.h" // (also marks the test with the `model` label)
#include "support/lora_fixtures.h"
#include "support/paths.h"
#include "support/temp_dir.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <tuple>

#include <doctest/doctest.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/nn/functional/loss.h>

using namespace moewb;
using moewb::test::GoldenSet;
using moewb::test::compressedMixtralPlan;
using moewb::test::periodic;
using moewb::test::residentGolden;
using moewb::test::smallLoraRun;

namespace {

torch::Tensor sample(const ModelSpec& spec)
{
    torch::manual_seed(3);
    return torch::randint(spec.vocabSize, {2, 10}, torch::kLong);
}

} // namespace

TEST_CASE("untrained adapters change nothing; gradients match finite differences")
{
    auto model = residentGolden("qwen2_moe");
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
    auto model = residentGolden("mixtral");
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
    FinetuneOptions tooLong = fo;
    tooLong.seqLen = spec.maxPositionEmbeddings + 1; // more positions than the model has
    REQUIRE(spec.maxPositionEmbeddings > 0);
    CHECK_THROWS_WITH_AS(finetuneLora(*model, adapters, periodic(2 * spec.maxPositionEmbeddings + 4, spec.vocabSize),
                                      held, tooLong),
                         doctest::Contains("max_position_embeddings"), Error);
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
    auto fresh = residentGolden("mixtral");
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
        auto again = residentGolden("mixtral");
        applyPlan(*again, compressed);
        return again->forward(ids).logits;
    }()));
}

TEST_CASE("fine-tuning refuses what it cannot do")
{
    auto bf16 = MoeModel::open(GoldenSet("qwen2_moe").dir(), ComputeOptions{torch::kBFloat16, torch::kCPU});
    CHECK_THROWS_WITH_AS(attachLora(*bf16, {}), doctest::Contains("fp32"), Error);
    auto model = residentGolden("qwen2_moe");
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


TEST_CASE("a LoRA rank above the adapted matrices' rank is kept as asked, with one warning")
{
    std::vector<std::string> warnings;
    setWarningHandler([&](const std::string& m) { warnings.push_back(m); });
    auto model = residentGolden("qwen2_moe");
    LoraOptions wide;
    wide.rank = 65; // above min(rows, columns) of every golden matrix (hidden size 64)
    const auto adapters = attachLora(*model, wide);
    setWarningHandler({});
    REQUIRE(!adapters.empty());
    CHECK(adapters.front().down.size(0) == 65);
    REQUIRE(warnings.size() == 1);
    const std::string expected = "LoRA rank 65 is above the rank of " + std::to_string(adapters.size()) + " of the "
        + std::to_string(adapters.size()) + " adapted matrices (min(rows, columns), as low as ";
    CHECK(warnings[0].substr(0, expected.size()) == expected);
}

TEST_CASE("factored adapters: gradients match finite differences")
{
    auto model = residentGolden("mixtral");
    applyPlan(*model, compressedMixtralPlan(model->spec()));
    LoraOptions lo;
    lo.rank = 2;
    lo.dropout = 0.0;
    lo.attention = false;
    auto adapters = attachLora(*model, lo);
    torch::manual_seed(4);
    {
        torch::NoGradGuard g;
        for (auto& a : adapters)
            a.up.copy_(torch::randn_like(a.up) * 0.1);
    }
    const auto windows = torch::randint(model->spec().vocabSize, {2, 9}, torch::kLong);
    ForwardOptions fo;
    fo.enableGrad = true;
    auto logits = model->forward(windows.narrow(1, 0, 8), {}, fo).logits;
    torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), windows.narrow(1, 1, 8).reshape({-1})).backward();
    int checked = 0;
    for (auto& a : adapters) {
        if (!a.parameter.ends_with(".A") && !a.parameter.ends_with(".B"))
            continue;
        CAPTURE(a.parameter);
        for (torch::Tensor* t : {&a.down, &a.up}) {
            const double analytic = t->grad().view(-1)[0].item<double>();
            const double h = 1e-6;
            auto at = [&](double delta) {
                torch::NoGradGuard g;
                t->view(-1)[0] += delta;
                const double l = lmLoss(*model, windows, false);
                t->view(-1)[0] -= delta;
                return l;
            };
            CHECK(analytic == doctest::Approx((at(h) - at(-h)) / (2 * h)).epsilon(1e-5).scale(1e-8));
            ++checked;
        }
    }
    CHECK(checked == 12); // 3 matrices x 2 factors x (down, up)
}

TEST_CASE("zero steps: the recovered plan computes bit-identically to the compressed one")
{
    auto model = residentGolden("mixtral");
    const auto& spec = model->spec();
    const Plan compressed = compressedMixtralPlan(spec);
    applyPlan(*model, compressed);
    const auto ids = sample(spec);
    const auto before = model->forward(ids).logits;
    auto adapters = attachLora(*model, {});
    FinetuneOptions fo = smallLoraRun();
    fo.steps = 0;
    const auto result = finetuneLora(*model, adapters, periodic(500, spec.vocabSize), periodic(200, spec.vocabSize), fo);
    CHECK(result.steps == 0);
    CHECK(result.losses.empty());
    CHECK(torch::equal(model->forward(ids).logits, before));
    Plan merged = compressed;
    for (auto& d : loraDeltas(adapters, "lora/z"))
        merged.steps.push_back(d);
    const auto tensors = loraTensors(adapters, "lora/z");
    auto fresh = residentGolden("mixtral");
    applyPlan(*fresh, merged, [&](const std::string& name) { return tensors.at(name); });
    CHECK(torch::equal(fresh->forward(ids).logits, before));
}

TEST_CASE("merged export reloads to the adapter-applied forward")
{
    auto model = residentGolden("mixtral");
    const auto& spec = model->spec();
    const Plan compressed = compressedMixtralPlan(spec);
    applyPlan(*model, compressed);
    LoraOptions lo;
    lo.rank = 3;
    lo.dropout = 0.0;
    auto adapters = attachLora(*model, lo);
    torch::manual_seed(12);
    {
        torch::NoGradGuard g; // as if trained: every adapter changes its matrix
        for (auto& a : adapters)
            a.up.copy_(torch::randn_like(a.up) * 0.05);
    }
    const auto ids = sample(spec);
    torch::Tensor withAdapters;
    {
        torch::NoGradGuard g;
        withAdapters = model->forward(ids).logits;
    }
    Plan merged = compressed;
    merged.name = "c-lora";
    for (auto& d : loraDeltas(adapters, "lora/c-lora"))
        merged.steps.push_back(d);
    const auto tensors = loraTensors(adapters, "lora/c-lora");
    auto applied = MoeModel::open(GoldenSet("mixtral").dir(), ComputeOptions{torch::kFloat, torch::kCPU});
    applied->makeResident();
    applyPlan(*applied, merged, [&](const std::string& name) { return tensors.at(name); });
    test::TempDir dir;
    ExportOptions eo;
    eo.target = dir.path / "out";
    eo.dtype = DType::F32;
    const auto report = exportModel(*applied, merged, eo);
    CHECK(report.preview.kind == ExportKind::Extended); // a factored expert
    CHECK(report.verification.passed);
    auto reloaded = MoeModel::open(eo.target, ComputeOptions{torch::kDouble, torch::kCPU});
    const auto logits = reloaded->forward(ids).logits;
    const double scale = withAdapters.abs().max().item<double>();
    CHECK((logits - withAdapters).abs().max().item<double>() < 1e-5 * scale); // f32 weights on disk
    // ... and the adapters do matter at that precision.
    auto base = residentGolden("mixtral");
    applyPlan(*base, compressed);
    CHECK((base->forward(ids).logits - withAdapters).abs().max().item<double>() > 1e-3 * scale);
}

TEST_CASE("instruction pairs: prompt and padding masked, loss by hand")
{
    const InstructionExample a{{1, 2}, {3, 4, 9}}, b{{5}, {6}};
    const auto batch = instructionBatch({&a, &b}, 16, 0);
    // a: tokens 1 2 3 4 9 -> inputs 1 2 3 4, targets (prompt) 3 4 9; b: tokens 5 6 -> input 5, target 6.
    CHECK(torch::equal(batch.inputs, torch::tensor({1, 2, 3, 4, 5, 0, 0, 0}, torch::kLong).view({2, 4})));
    CHECK(torch::equal(batch.targets, torch::tensor({-100, 3, 4, 9, 6, -100, -100, -100}, torch::kLong).view({2, 4})));
    CHECK(batch.lossTokens == 4);
    // Cut to 3 inputs: the response's tail goes.
    const auto cut = instructionBatch({&a}, 3, 0);
    CHECK(torch::equal(cut.targets, torch::tensor({-100, 3, 4}, torch::kLong).view({1, 3})));

    // The masked mean by hand: logits of a 3-token vocabulary, loss at (0,1) -> 2, (1,0) -> 0 only.
    const auto logits = torch::tensor({0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 5.0, -5.0, 0.0, 0.5, 0.0, 0.0}, torch::kDouble).view({2, 2, 3});
    const auto targets = torch::tensor({-100, 2, 0, -100}, torch::kLong).view({2, 2});
    const double l1 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
    const double l2 = std::log(std::exp(5.0) + std::exp(-5.0) + std::exp(0.0)) - 5.0;
    CHECK(maskedLmLoss(logits, targets).item<double>() == doctest::Approx((l1 + l2) / 2).epsilon(1e-12));

    // On a model: the padded batch's loss is the token-weighted mean of each example's own loss
    // (right padding never reaches a real token through causal attention).
    auto model = residentGolden("qwen2_moe");
    const InstructionExample c{{7, 8, 9, 10}, {11, 12}}, d{{13}, {14, 15, 16, 17, 18}};
    auto lossOf = [&](const std::vector<const InstructionExample*>& ex) {
        const auto bt = instructionBatch(ex, 32, 0);
        return std::pair{maskedLmLoss(model->forward(bt.inputs).logits, bt.targets).item<double>(), bt.lossTokens};
    };
    const auto [lc, nc] = lossOf({&c});
    const auto [ld, nd] = lossOf({&d});
    const auto [both, n] = lossOf({&c, &d});
    CHECK(nc == 2);
    CHECK(nd == 5);
    CHECK(n == 7);
    CHECK(both == doctest::Approx((lc * nc + ld * nd) / n).epsilon(1e-10));
}

TEST_CASE("instruction pairs from JSONL, both conventions")
{
    const auto tokenizer = Tokenizer::fromFile(test::sourceDir() / "resources" / "demo" / "tokenizer" / "tokenizer.json");
    test::TempDir dir;
    const auto path = dir.path / "pairs.jsonl";
    std::ofstream(path) << R"({"prompt": "Who begat Isaac?", "response": " Abraham."})" << "\n\n"
                        << R"({"instruction": "Complete:", "input": "In the beginning", "output": " God created"})" << "\n"
                        << R"({"instruction": "Say amen.", "output": " Amen."})" << "\n";
    CHECK(looksLikeInstructionPairs(path));
    const auto pairs = readInstructionPairs(path, tokenizer);
    REQUIRE(pairs.size() == 3);
    auto withEos = [&](std::vector<int32_t> ids) {
        if (tokenizer.eosId())
            ids.push_back(*tokenizer.eosId());
        return ids;
    };
    CHECK(pairs[0].prompt == tokenizer.encode("Who begat Isaac?", true));
    CHECK(pairs[0].response == withEos(tokenizer.encode(" Abraham.", false)));
    CHECK(pairs[1].prompt == tokenizer.encode("Complete:\n\nIn the beginning\n\n", true));
    CHECK(pairs[2].prompt == tokenizer.encode("Say amen.\n\n", true));
    std::ofstream(dir.path / "bad.jsonl") << R"({"prompt": "x"})" << "\n";
    CHECK_THROWS_WITH_AS(readInstructionPairs(dir.path / "bad.jsonl", tokenizer), doctest::Contains("line 1"), Error);
    std::ofstream(dir.path / "text.jsonl") << R"({"text": "x"})" << "\n";
    CHECK_FALSE(looksLikeInstructionPairs(dir.path / "text.jsonl"));
}

TEST_CASE("a run interrupted and resumed from its checkpoint equals an uninterrupted one")
{
    const FinetuneOptions base = smallLoraRun();
    LoraTrainData pairs;
    for (int i = 0; i < 12; ++i)
        pairs.pairs.push_back({{int32_t(1 + i), int32_t(2 + i % 5)}, std::vector<int32_t>(size_t(3 + i % 6), int32_t(20 + i))});
    LoraTrainData text;
    text.text = periodic(800, 40);
    for (const LoraTrainData* data : {&text, &pairs}) {
        CAPTURE(data->pairs.size());
        LoraOptions lo;
        lo.rank = 2;
        lo.dropout = 0.1; // the dropout generator's state travels with the checkpoint
        auto run = [&](const FinetuneOptions& fo, const std::function<bool(const FinetuneReport&)>& onStep) {
            auto model = residentGolden("mixtral");
            auto adapters = attachLora(*model, lo);
            auto result = finetuneLora(*model, adapters, *data, periodic(300, 40), fo, onStep);
            return std::pair{result, loraTensors(adapters, "x")};
        };
        std::vector<FinetuneReport> wholeReports, resumedReports;
        const auto collect = [](std::vector<FinetuneReport>& into) {
            return [&into](const FinetuneReport& r) {
                into.push_back(r);
                return true;
            };
        };
        const auto [whole, wholeTensors] = run(base, collect(wholeReports));
        test::TempDir dir;
        FinetuneOptions fo = base;
        fo.checkpoint = dir.path / "ft" / "checkpoint.pt";
        fo.checkpointEvery = 2;
        fo.resume = true;
        CHECK_THROWS_AS(run(fo, [](const FinetuneReport& r) { return r.step < 3; }), Cancelled);
        CHECK(std::filesystem::exists(fo.checkpoint));
        const auto [resumed, resumedTensors] = run(fo, collect(resumedReports));
        CHECK(resumed.resumedFromStep == 3);
        // The resumed run reports the checkpoint's steps again (restored), then its own: the reports of
        // the uninterrupted run, held-out evaluations (step 2) included.
        REQUIRE(resumedReports.size() == wholeReports.size());
        for (size_t i = 0; i < wholeReports.size(); ++i) {
            const FinetuneReport &a = resumedReports[i], &b = wholeReports[i];
            CAPTURE(i);
            CHECK(a.restored == (i < 3));
            CHECK_FALSE(b.restored);
            CHECK(a.step == b.step);
            CHECK(a.steps == b.steps);
            CHECK(a.loss == b.loss);
            CHECK(a.lr == b.lr);
            CHECK(a.heldOutPerplexity == b.heldOutPerplexity);
            CHECK(a.heldOutObjective == b.heldOutObjective);
            CHECK(a.heldOutKl == b.heldOutKl);
        }
        CHECK(resumedReports[1].heldOutPerplexity.has_value());
        CHECK(resumed.steps == whole.steps);
        CHECK(resumed.losses == whole.losses);
        CHECK(resumed.heldOut == whole.heldOut);
        CHECK(resumed.bestStep == whole.bestStep);
        for (const auto& [name, t] : wholeTensors)
            CHECK_MESSAGE(torch::equal(t, resumedTensors.at(name)), name);
        // A finished run resumes to the same result without a step; other settings are refused.
        const auto [again, againTensors] = run(fo, {});
        CHECK(again.losses == whole.losses);
        CHECK(torch::equal(againTensors.begin()->second, wholeTensors.begin()->second));
        FinetuneOptions other = fo;
        other.lr *= 2;
        CHECK_THROWS_WITH_AS(run(other, {}), doctest::Contains("other settings"), Error);
        lo.dropout = 0.2; // another dropout draws other noise at every step
        CHECK_THROWS_WITH_AS(run(fo, {}), doctest::Contains("other settings"), Error);
        lo.dropout = 0.1;
        // A checkpoint file that names something else (the session, a model's weights, any file) is
        // refused and left as it was, with or without --resume.
        FinetuneOptions elsewhere = fo;
        elsewhere.checkpoint = dir.path / "precious.txt";
        std::ofstream(elsewhere.checkpoint) << "keep me";
        for (const bool resume : {false, true}) {
            elsewhere.resume = resume;
            CHECK_THROWS_WITH_AS(run(elsewhere, {}), doctest::Contains("not a fine-tuning checkpoint"), Error);
        }
        std::ifstream kept(elsewhere.checkpoint);
        CHECK(std::string(std::istreambuf_iterator<char>(kept), {}) == "keep me");
    }
}

TEST_CASE("a diverging run stops with an error instead of storing NaN adapters")
{
    auto model = residentGolden("mixtral");
    LoraOptions lo;
    lo.rank = 2;
    auto adapters = attachLora(*model, lo);
    FinetuneOptions fo = smallLoraRun();
    // The first AdamW step moves every up-projection by ~lr (|m / sqrt(v)| = 1): at 1e300 the next
    // forward overflows (RMSNorm squares the hidden states); 1e30 left the loss finite.
    fo.lr = 1e300;
    fo.warmupSteps = 0;
    fo.steps = std::max<int64_t>(fo.steps, 3);
    CHECK_THROWS_WITH_AS(finetuneLora(*model, adapters, periodic(800, 40), {}, fo), doctest::Contains("diverged"), Error);
}

TEST_CASE("checkpoints of version 1 (no LoRA dropout recorded) resume with any dropout")
{
    const nlohmann::json id{{"steps", 4}, {"lora_dropout", 0.1}};
    LoopState written;
    written.step = 2;
    written.result.losses = {3.0, 2.5};
    auto state = checkpointState(id, written);
    LoopState restored;
    restoreProgress(state, id, "now.pt", restored);
    CHECK(restored.result.losses == written.result.losses);
    nlohmann::json otherDropout = id;
    otherDropout["lora_dropout"] = 0.2;
    CHECK_THROWS_WITH_AS(restoreProgress(state, otherDropout, "now.pt", restored), doctest::Contains("other settings"),
                         Error);
    state["version"] = 1;
    state["identity"].erase("lora_dropout");
    restoreProgress(state, otherDropout, "old.pt", restored);
    CHECK(restored.step == 2);
    state["identity"]["steps"] = 5;
    CHECK_THROWS_WITH_AS(restoreProgress(state, otherDropout, "old.pt", restored), doctest::Contains("old.pt"), Error);
}

TEST_CASE("PEFT adapter beside a standard export: names, layers renumbered, refusals")
{
    auto model = MoeModel::open(GoldenSet("qwen2_moe").dir(), ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    LoraOptions lo;
    lo.rank = 2;
    lo.alpha = 6;
    lo.experts = false;
    auto adapters = attachLora(*model, lo);
    torch::manual_seed(2);
    {
        torch::NoGradGuard g;
        for (auto& a : adapters)
            a.up.copy_(torch::randn_like(a.up));
    }
    detachLora(*model);
    Plan plan{"p-lora", "moe-i2", {}, {DropBlock{0}}};
    for (auto& d : loraDeltas(adapters, "lora/p-lora"))
        plan.steps.push_back(d);
    const auto tensors = loraTensors(adapters, "lora/p-lora");
    const auto split = splitLoraPlan(plan);
    CHECK(split.base.steps.size() == 1);
    CHECK(split.adapters.size() == adapters.size());
    CHECK(peftProblems(split.adapters).empty());
    applyPlan(*model, split.base);
    test::TempDir dir;
    ExportOptions eo;
    eo.target = dir.path / "out";
    eo.kind = ExportKind::Standard;
    const auto report = exportModel(*model, split.base, eo);
    REQUIRE(report.preview.keptLayers == std::vector<int>{1, 2, 3});
    const auto files = writePeftAdapter(eo.target, report.preview.keptLayers, split.adapters,
                                        [&](const std::string& n) { return tensors.at(n); }, "base");
    CHECK(files.size() == 2);
    std::ifstream in(eo.target / "adapter_config.json");
    const auto config = nlohmann::json::parse(in);
    CHECK(config.at("peft_type") == "LORA");
    CHECK(config.at("r") == 2);
    CHECK(config.at("lora_alpha").get<double>() == 6.0);
    size_t inKeptLayers = 0;
    for (const auto& a : adapters)
        inKeptLayers += a.parameter.starts_with("model.layers.0.") ? 0 : 1;
    CHECK(config.at("target_modules").size() == inKeptLayers);
    const auto file = SafetensorsFile::open(eo.target / "adapter_model.safetensors");
    // Source layer 2's q_proj adapter is output layer 1's.
    const std::string key = "base_model.model.model.layers.1.self_attn.q_proj.lora_";
    const TensorInfo* A = file->find(key + "A.weight");
    const TensorInfo* B = file->find(key + "B.weight");
    REQUIRE(A);
    REQUIRE(B);
    const auto wantA = tensors.at("lora/p-lora/model.layers.2.self_attn.q_proj.weight/A");
    const auto wantB = tensors.at("lora/p-lora/model.layers.2.self_attn.q_proj.weight/B");
    CHECK(std::vector<int64_t>(A->shape.begin(), A->shape.end()) == wantA.sizes().vec());
    CHECK(std::vector<int64_t>(B->shape.begin(), B->shape.end()) == wantB.sizes().vec());
    CHECK(std::memcmp(file->bytes(*A).data(), wantA.data_ptr(), static_cast<size_t>(wantA.nbytes())) == 0);
    CHECK(std::memcmp(file->bytes(*B).data(), wantB.data_ptr(), static_cast<size_t>(wantB.nbytes())) == 0);
    CHECK(file->find("base_model.model.model.layers.2.mlp.shared_expert.down_proj.lora_A.weight")); // source layer 3
    CHECK_FALSE(file->find("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight"));

    // Routed experts and factors are refused, naming why.
    LoraOptions all;
    auto mixtral = residentGolden("mixtral");
    applyPlan(*mixtral, compressedMixtralPlan(mixtral->spec()));
    const auto problems = peftProblems(loraDeltas(attachLora(*mixtral, all), "lora/x"));
    REQUIRE(problems.size() == 2);
    CHECK(problems[0].find("fused") != std::string::npos);
    CHECK(problems[1].find("factored") != std::string::npos);
}

// Distillation (FinetuneObjective::Distill): the teacher is the uncompressed model.
