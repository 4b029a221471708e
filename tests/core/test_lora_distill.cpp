// LoRA fine-tuning by distillation from the original model (core/train/lora.h FinetuneObjective::Distill):
// the loss against a hand computation with a temperature and a masked position; a student equal to its
// teacher has zero KL and zero adapter gradients; training lowers the KL to the original; refusals and
// the objective in the checkpoint's identity; with held-out text the kept step minimises the held-out
// distillation objective (recomputed here with torch's kl_div and cross_entropy), and a resumed run
// equals an uninterrupted one; checkpoints written before the held-out distillation objective existed
// are refused for distillation and resumed for LM runs.
#include "core/io/error.h"
#include "core/plan/apply.h"
#include "core/train/lora.h"
#include "core/train/lora_checkpoint.h"
#include "core/train/lora_data.h"
#include "support/golden.h" // (also marks the test with the `model` label)
#include "support/lora_fixtures.h"
#include "support/temp_dir.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <doctest/doctest.h>
#include <torch/optim/adamw.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/nn/functional/loss.h>

using namespace moewb;
using moewb::test::compressedMixtralPlan;
using moewb::test::periodic;
using moewb::test::residentGolden;
using moewb::test::smallLoraRun;

namespace {

// A T^2 KL(teacher || student) + (1 - A) CE per predicted token on `windows` [n, s + 1] (the model sees
// the first s tokens of each), with torch's kl_div and cross_entropy rather than the training code.
// T = A = 1: the plain KL to the teacher.
double distillObjective(const MoeModel& student, const MoeModel& teacher, const torch::Tensor& windows,
                        double T = 1.0, double A = 1.0)
{
    torch::NoGradGuard g;
    const int64_t s = windows.size(1) - 1;
    const auto inputs = windows.narrow(1, 0, s), targets = windows.narrow(1, 1, s).reshape({-1});
    const auto studentLogits = student.forward(inputs).logits, teacherLogits = teacher.forward(inputs).logits;
    const int64_t vocab = studentLogits.size(-1);
    const auto sl = studentLogits.reshape({-1, vocab}), tl = teacherLogits.reshape({-1, vocab});
    namespace F = torch::nn::functional;
    const double kl = F::kl_div(torch::log_softmax(sl / T, -1), torch::log_softmax(tl / T, -1),
                                F::KLDivFuncOptions().reduction(torch::kBatchMean).log_target(true)).item<double>();
    const double ce = F::cross_entropy(sl, targets).item<double>();
    return A * T * T * kl + (1 - A) * ce;
}

// The held-out objective a run with options `o` reports: on the first evalBlocks consecutive windows
// of seqLen + 1 tokens of `held`.
double heldOutObjective(const MoeModel& student, const MoeModel& teacher, const std::vector<int32_t>& held,
                        const FinetuneOptions& o)
{
    const int64_t span = o.seqLen + 1;
    const auto windows
        = torch::tensor(std::vector<int64_t>(held.begin(), held.begin() + o.evalBlocks * span)).reshape({-1, span});
    return distillObjective(student, teacher, windows, o.temperature, o.distillWeight);
}

size_t argmin(const std::vector<double>& v)
{
    return static_cast<size_t>(std::min_element(v.begin(), v.end()) - v.begin()); // the first of equals
}

} // namespace

TEST_CASE("distillation loss: hand computation with a temperature and a masked position")
{
    const auto student = torch::tensor({1., 2., 0., 0., 0., 5., 3., 1., -1.}, torch::kDouble).reshape({1, 3, 3});
    const auto teacher = torch::tensor({2., 0., 1., 9., 9., 9., 1., 1., 1.}, torch::kDouble).reshape({1, 3, 3});
    const auto targets = torch::tensor({int64_t{0}, kIgnoreTarget, int64_t{2}}).reshape({1, 3});
    // Per-position KL(softmax(t / T) || softmax(s / T)), by hand (float64):
    //   T = 1: 0.72990828048886, (masked 2.24810694638667), 1.04431933983179
    //   T = 2: 0.22051441516123, (masked 0.72006276238969), 0.30899367577627
    // loss = T^2 * mean over the two positions that count.
    CHECK(maskedDistillLoss(student, teacher, targets, 1.0).item<double>() ==
          doctest::Approx((0.7299082804888586 + 1.0443193398317898) / 2).epsilon(1e-13));
    CHECK(maskedDistillLoss(student, teacher, targets, 2.0).item<double>() ==
          doctest::Approx(4 * (0.22051441516122863 + 0.3089936757762706) / 2).epsilon(1e-13));
    CHECK(maskedDistillLoss(student, teacher, targets, 2.0).item<double>() == doctest::Approx(1.0590161818749986).epsilon(1e-13));
    // The masked position takes no gradient; the others do.
    auto s = student.clone().requires_grad_(true);
    maskedDistillLoss(s, teacher.to(torch::kFloat), targets, 2.0).backward(); // teacher in fp32: moved to fp64
    CHECK(s.grad()[0][1].abs().max().item<double>() == 0);
    CHECK(s.grad()[0][0].abs().max().item<double>() > 1e-3);
    // Gradient of T^2 KL / n with respect to student logits: T (softmax(s / T) - softmax(t / T)) / n.
    const auto expected = 2.0 * (torch::softmax(student / 2.0, -1) - torch::softmax(teacher / 2.0, -1)) / 2.0;
    CHECK((s.grad()[0][2] - expected[0][2]).abs().max().item<double>() < 1e-14);
    CHECK_THROWS_WITH_AS(maskedDistillLoss(student, teacher, targets, 0.0), doctest::Contains("temperature"), Error);
}

TEST_CASE("distillation: a student equal to its teacher has zero KL and zero adapter gradients")
{
    auto teacher = residentGolden("qwen2_moe");
    auto student = residentGolden("qwen2_moe"); // empty plan
    LoraOptions lo;
    lo.rank = 2; // dropout 0.05: the untrained up matrices are zero, so the output is still the teacher's
    auto adapters = attachLora(*student, lo);
    const auto ids = periodic(2 * 13, 256);
    const auto batch = windowBatch(torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).reshape({2, 13}));
    ForwardOptions fo;
    fo.enableGrad = true;
    const auto kl = maskedDistillLoss(student->forward(batch.inputs, {}, fo).logits, teacher->forward(batch.inputs).logits,
                                      batch.targets, 1.0);
    CHECK(std::abs(kl.item<double>()) < 1e-12);
    kl.backward();
    for (const auto& a : adapters) {
        CHECK_MESSAGE(a.down.grad().abs().max().item<double>() < 1e-12, a.parameter);
        CHECK_MESSAGE(a.up.grad().abs().max().item<double>() < 1e-12, a.parameter);
    }
    // The training loop on this objective: every step's loss is the zero KL.
    FinetuneOptions o;
    o.steps = 2;
    o.batchSize = 2;
    o.seqLen = 12;
    o.objective = FinetuneObjective::Distill;
    o.teacher = teacher.get();
    const auto result = finetuneLora(*student, adapters, periodic(400, 256), {}, o);
    REQUIRE(result.losses.size() == 2);
    for (double loss : result.losses)
        CHECK(std::abs(loss) < 1e-12);
    // Weight 0.25: the first step (untrained adapters, KL 0) costs 0.75 x the LM loss of the same batch.
    auto firstLoss = [&](FinetuneObjective objective) {
        auto fresh = residentGolden("qwen2_moe");
        auto freshAdapters = attachLora(*fresh, lo);
        FinetuneOptions m = o;
        m.steps = 1;
        m.objective = objective;
        m.distillWeight = 0.25;
        m.teacher = objective == FinetuneObjective::Distill ? teacher.get() : nullptr;
        return finetuneLora(*fresh, freshAdapters, periodic(400, 256), {}, m).losses.at(0);
    };
    const double lm = firstLoss(FinetuneObjective::Lm);
    CHECK(lm > 1);
    CHECK(firstLoss(FinetuneObjective::Distill) == doctest::Approx(0.75 * lm).epsilon(1e-12));
}


TEST_CASE("distillation lowers the KL of a compressed model to the original")
{
    auto teacher = residentGolden("mixtral");
    auto student = residentGolden("mixtral");
    applyPlan(*student, compressedMixtralPlan(student->spec()));
    LoraOptions lo;
    lo.rank = 4;
    lo.dropout = 0.0;
    auto adapters = attachLora(*student, lo);
    const auto held = periodic(600, 256);
    const auto probe = torch::tensor(std::vector<int64_t>(held.begin(), held.begin() + 4 * 17)).reshape({4, 17});
    const double before = distillObjective(*student, *teacher, probe);
    CHECK(before > 1e-4);
    FinetuneOptions o = smallLoraRun();
    o.steps = 40;
    o.objective = FinetuneObjective::Distill;
    o.lr = 5e-3;
    o.temperature = 2.0;
    o.teacher = teacher.get();
    // No held-out text: early stopping on perplexity would keep the best adapters by perplexity.
    CHECK(finetuneLora(*student, adapters, periodic(3000, 256), {}, o).steps == 40);
    const double after = distillObjective(*student, *teacher, probe);
    MESSAGE("KL to the original: " << before << " -> " << after);
    CHECK(after < 0.65 * before); // measured 0.0370 -> 0.0206
}

TEST_CASE("distillation refusals, and the objective in the checkpoint's identity")
{
    auto teacher = residentGolden("mixtral");
    auto student = residentGolden("mixtral");
    LoraOptions lo;
    lo.rank = 2;
    auto adapters = attachLora(*student, lo);
    const auto text = periodic(800, 256);
    FinetuneOptions o = smallLoraRun();
    o.objective = FinetuneObjective::Distill;
    CHECK_THROWS_WITH_AS(finetuneLora(*student, adapters, text, {}, o), doctest::Contains("needs a teacher"), Error);
    auto other = MoeModel::open(test::sourceDir() / "resources/demo/models/qwen", ComputeOptions{torch::kFloat, torch::kCPU});
    o.teacher = other.get(); // 2048 tokens, the student 256
    CHECK_THROWS_WITH_AS(finetuneLora(*student, adapters, text, {}, o), doctest::Contains("vocabulary (2048 tokens)"), Error);
    o.teacher = teacher.get();
    o.distillWeight = 1.5;
    CHECK_THROWS_WITH_AS(finetuneLora(*student, adapters, text, {}, o), doctest::Contains("weight"), Error);
    o.distillWeight = 1.0;
    FinetuneOptions lm = smallLoraRun();
    lm.teacher = teacher.get();
    CHECK_THROWS_WITH_AS(finetuneLora(*student, adapters, text, {}, lm), doctest::Contains("only used by the distillation"), Error);
    CHECK_THROWS_AS(parseObjective("kd"), Error);
    CHECK(parseObjective(objectiveName(FinetuneObjective::Distill)) == FinetuneObjective::Distill);

    // A distillation checkpoint resumes only with the same objective, temperature and weight.
    test::TempDir dir;
    o.steps = 2;
    o.checkpoint = dir.path / "kd.pt";
    o.resume = true;
    finetuneLora(*student, adapters, text, {}, o);
    FinetuneOptions asLm = o;
    asLm.objective = FinetuneObjective::Lm;
    asLm.teacher = nullptr;
    CHECK_THROWS_WITH_AS(finetuneLora(*student, adapters, text, {}, asLm), doctest::Contains("other settings"), Error);
    FinetuneOptions hotter = o;
    hotter.temperature = 2.0;
    CHECK_THROWS_WITH_AS(finetuneLora(*student, adapters, text, {}, hotter), doctest::Contains("other settings"), Error);
    FinetuneOptions mixed = o;
    mixed.distillWeight = 0.5;
    CHECK_THROWS_WITH_AS(finetuneLora(*student, adapters, text, {}, mixed), doctest::Contains("other settings"), Error);
    CHECK(finetuneLora(*student, adapters, text, {}, o).resumedFromStep == 2);
}


TEST_CASE("distillation with held-out text keeps the step of the lowest held-out distillation objective")
{
    auto teacher = residentGolden("mixtral");
    const auto train = periodic(3000, 256), held = periodic(600, 256);
    LoraOptions lo;
    lo.rank = 4;
    lo.dropout = 0.1;
    FinetuneOptions base = smallLoraRun();
    base.steps = 12;
    base.lr = 5e-3;
    base.objective = FinetuneObjective::Distill;
    base.temperature = 2.0;
    base.teacher = teacher.get();
    auto run = [&](const FinetuneOptions& fo, const std::function<bool(const FinetuneReport&)>& onStep) {
        auto student = residentGolden("mixtral");
        applyPlan(*student, compressedMixtralPlan(student->spec()));
        auto adapters = attachLora(*student, lo);
        auto result = finetuneLora(*student, adapters, train, held, fo, onStep);
        return std::tuple{result, loraTensors(adapters, "x"), std::move(student)};
    };
    std::vector<double> reportedKl;
    const auto [whole, wholeTensors, student] = run(base, [&](const FinetuneReport& r) {
        if (r.heldOutKl)
            reportedKl.push_back(*r.heldOutKl);
        return true;
    });
    REQUIRE(whole.heldOut.size() == 7); // steps 0, 2, ..., 12
    REQUIRE(whole.heldOutObjective.size() == 7);
    REQUIRE(whole.heldOutKl.size() == 7);
    CHECK(std::vector<double>(whole.heldOutKl.begin() + 1, whole.heldOutKl.end()) == reportedKl);
    for (size_t i = 0; i < 7; ++i) {
        CAPTURE(i);
        MESSAGE("step " << whole.heldOut[i].first << ": perplexity " << whole.heldOut[i].second << ", T^2 KL "
                        << whole.heldOutKl[i] << ", objective " << whole.heldOutObjective[i]);
        CHECK(whole.heldOutObjective[i] ==
              doctest::Approx(base.distillWeight * whole.heldOutKl[i] +
                              (1 - base.distillWeight) * std::log(whole.heldOut[i].second))
                  .epsilon(1e-12));
    }
    const size_t best = argmin(whole.heldOutObjective);
    CHECK(whole.bestStep == whole.heldOut[best].first);
    CHECK(whole.bestObjective == whole.heldOutObjective[best]);
    CHECK(whole.bestPerplexity == whole.heldOut[best].second);
    CHECK(whole.heldOutObjective[best] < whole.heldOutObjective.front()); // training helped
    std::vector<double> perplexities;
    for (const auto& h : whole.heldOut)
        perplexities.push_back(h.second);
    // Here the criteria disagree (measured: perplexity lowest at step 4, the KL at step 12).
    CHECK(whole.bestStep != whole.heldOut[argmin(perplexities)].first);
    // The adapters kept are the ones of that step: their held-out objective, recomputed, is the best value.
    CHECK(heldOutObjective(*student, *teacher, held, base) == doctest::Approx(whole.bestObjective).epsilon(1e-9));
    // What a recovered plan records (CLI finetune and GUI Recover): the criterion and the kept step's values.
    const auto record = heldOutSelection(whole, FinetuneObjective::Distill);
    CHECK(record.at("selected_by") == "distillation objective");
    CHECK(record.at("best_held_out_kl").get<double>() == whole.heldOutKl[best]);
    CHECK(record.at("best_held_out_objective").get<double>() == whole.bestObjective);
    CHECK(record.at("best_held_out_perplexity").get<double>() == whole.heldOut[best].second);

    // Interrupted after step 3 and resumed: the uninterrupted run's evaluations, best step and adapters.
    test::TempDir dir;
    FinetuneOptions fo = base;
    fo.checkpoint = dir.path / "kd.pt";
    fo.checkpointEvery = 2;
    fo.resume = true;
    CHECK_THROWS_AS(run(fo, [](const FinetuneReport& r) { return r.step < 3; }), Cancelled);
    [[maybe_unused]] const auto [resumed, resumedTensors, resumedStudent] = run(fo, {});
    CHECK(resumed.resumedFromStep == 3);
    CHECK(resumed.losses == whole.losses);
    CHECK(resumed.heldOut == whole.heldOut);
    CHECK(resumed.heldOutKl == whole.heldOutKl);
    CHECK(resumed.heldOutObjective == whole.heldOutObjective);
    CHECK(resumed.bestStep == whole.bestStep);
    CHECK(resumed.bestObjective == whole.bestObjective);
    for (const auto& [name, t] : wholeTensors)
        CHECK_MESSAGE(torch::equal(t, resumedTensors.at(name)), name);

    // The LM objective reports its held-out mean cross-entropy (log perplexity), no KL, and keeps the
    // step of the lowest perplexity.
    FinetuneOptions lm = base;
    lm.objective = FinetuneObjective::Lm;
    lm.teacher = nullptr;
    [[maybe_unused]] const auto [lmRun, lmTensors, lmStudent] = run(lm, {});
    CHECK(lmRun.heldOutKl.empty());
    REQUIRE(lmRun.heldOutObjective.size() == lmRun.heldOut.size());
    perplexities.clear();
    for (size_t i = 0; i < lmRun.heldOut.size(); ++i) {
        perplexities.push_back(lmRun.heldOut[i].second);
        CHECK(lmRun.heldOutObjective[i] == doctest::Approx(std::log(lmRun.heldOut[i].second)).epsilon(1e-12));
    }
    CHECK(lmRun.bestStep == lmRun.heldOut[argmin(perplexities)].first);
    CHECK(lmRun.bestPerplexity == perplexities[argmin(perplexities)]);
    CHECK(heldOutSelection(lmRun, FinetuneObjective::Lm).empty()); // best_step alone, as before

    // A mixed objective, A x T^2 KL + (1 - A) x CE, likewise (its CE is log perplexity).
    FinetuneOptions mixed = base;
    mixed.steps = 4;
    mixed.distillWeight = 0.5;
    [[maybe_unused]] const auto [mix, mixTensors, mixStudent] = run(mixed, {});
    REQUIRE(mix.heldOutObjective.size() == 3);
    for (size_t i = 0; i < 3; ++i)
        CHECK(mix.heldOutObjective[i] ==
              doctest::Approx(0.5 * mix.heldOutKl.at(i) + 0.5 * std::log(mix.heldOut[i].second)).epsilon(1e-12));
    CHECK(mix.bestStep == mix.heldOut[argmin(mix.heldOutObjective)].first);
    CHECK(heldOutObjective(*mixStudent, *teacher, held, mixed) == doctest::Approx(mix.bestObjective).epsilon(1e-9));
}

TEST_CASE("checkpoints written before the held-out distillation objective: refused for distillation, resumed for LM")
{
    // A checkpoint's progress as written by a distillation run with held-out text at steps 0 and 2.
    const nlohmann::json lmId{{"steps", 4}, {"seed", 1}};
    nlohmann::json kdId = lmId;
    kdId.update({{"objective", "distill"}, {"temperature", 2.0}, {"distill_weight", 1.0}});
    LoopState s;
    s.step = 2;
    s.sinceBest = 0;
    s.result.losses = {2.5, 2.25};
    s.result.heldOut = {{0, 40.0}, {2, 38.0}};
    s.result.heldOutKl = {0.5, 0.25};
    s.result.heldOutObjective = {0.5, 0.25};
    s.result.bestStep = 2;
    s.result.bestPerplexity = 38.0;
    s.result.bestObjective = 0.25;
    s.result.seconds = 1.5;
    s.best = {torch::ones({2})};
    const std::filesystem::path path = "ck.pt";

    LoopState back;
    restoreProgress(checkpointState(kdId, s), kdId, path, back);
    CHECK(back.step == 2);
    CHECK(back.result.losses == s.result.losses);
    CHECK(back.result.heldOut == s.result.heldOut);
    CHECK(back.result.heldOutKl == s.result.heldOutKl);
    CHECK(back.result.heldOutObjective == s.result.heldOutObjective);
    CHECK(back.result.bestObjective == 0.25);
    CHECK(back.result.resumedFromStep == 2);
    CHECK(checkpointState(kdId, s).at("best") == 1);
    CHECK_THROWS_WITH_AS(restoreProgress(checkpointState(kdId, s), lmId, path, back), doctest::Contains("other settings"),
                         Error);
    CHECK_THROWS_WITH_AS(restoreProgress(nlohmann::json{{"format", "x"}}, kdId, path, back),
                         doctest::Contains("ck.pt: not a fine-tuning checkpoint"), Error);

    // The same progress in the older format: no held-out objective, KL or best objective.
    auto old = [&](const nlohmann::json& id) {
        nlohmann::json state = checkpointState(id, s);
        for (const char* key : {"held_out_objective", "held_out_kl", "best_objective"})
            state.erase(key);
        return state;
    };
    // Distillation: its best step was picked by perplexity, so it cannot continue under the new criterion.
    CHECK_THROWS_WITH_AS(restoreProgress(old(kdId), kdId, path, back),
                         doctest::Contains("ck.pt: a distillation checkpoint written before held-out evaluation"), Error);
    // LM: the criterion (perplexity) is unchanged; the objective is the log perplexity.
    LoopState lm;
    restoreProgress(old(lmId), lmId, path, lm);
    CHECK(lm.result.heldOut == s.result.heldOut);
    CHECK(lm.result.heldOutKl.empty());
    REQUIRE(lm.result.heldOutObjective.size() == 2);
    CHECK(lm.result.heldOutObjective[0] == doctest::Approx(std::log(40.0)).epsilon(1e-15));
    CHECK(lm.result.heldOutObjective[1] == doctest::Approx(std::log(38.0)).epsilon(1e-15));
    CHECK(lm.result.bestObjective == doctest::Approx(std::log(38.0)).epsilon(1e-15));
    CHECK(lm.result.bestStep == 2);
    // Distillation without held-out text evaluated nothing: nothing was picked by perplexity, it resumes.
    s.result.heldOut.clear();
    LoopState noHeldOut;
    restoreProgress(old(kdId), kdId, path, noHeldOut);
    CHECK(noHeldOut.step == 2);

    // A refused checkpoint leaves the adapters and the optimizer as they were (the progress is checked
    // before any tensor is read).
    test::TempDir dir;
    std::vector<torch::Tensor> params{torch::full({3}, 2.0).requires_grad_()};
    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(0.1));
    s.result.heldOut = {{0, 40.0}, {2, 38.0}};
    saveCheckpoint(dir.path / "ck.pt", lmId, s, params, optimizer, torch::kCPU);
    params[0].detach().fill_(5.0);
    LoopState untouched;
    untouched.step = 7;
    CHECK_THROWS_WITH_AS(loadCheckpoint(dir.path / "ck.pt", kdId, untouched, params, optimizer, torch::kCPU),
                         doctest::Contains("other settings"), Error);
    CHECK(torch::equal(params[0].detach(), torch::full({3}, 5.0)));
    CHECK(untouched.step == 7);
    loadCheckpoint(dir.path / "ck.pt", lmId, untouched, params, optimizer, torch::kCPU);
    CHECK(torch::equal(params[0].detach(), torch::full({3}, 2.0)));
    CHECK(untouched.step == 2);
    REQUIRE(untouched.best.size() == 1);
    CHECK(torch::equal(untouched.best[0], torch::ones({2})));
}
