// The holistic study's quality table (docs/holistic.md): every method of core/compress at two
// strengths on one demo model, evaluated on held-out text and the multiple-choice tasks.
//   bench_holistic MODEL_DIR CALIB.txt EVAL.txt TASKS.jsonl [samples=32] [length=128]
// Plans are applied in memory the simple way: removed experts masked in place (the router's own rule
// on the survivors, as a pruned router), dropped sublayers and blocks skipped, masks and deltas written
// into the layer weights. Parameters and bytes come from accountPlan (what export writes); tokens/s
// from perplexity passes over 32 windows, five interleaved rounds, the best kept (one thread).
#include "core/calib/dataset.h"
#include "core/compress/expert_drop.h"
#include "core/compress/layer_drop.h"
#include "core/compress/slimming.h"
#include "core/eval/multiple_choice.h"
#include "core/eval/perplexity.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <fmt/format.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdlib>
#include <map>

using namespace moewb;
namespace fs = std::filesystem;

namespace {

using Tensors = std::map<std::string, torch::Tensor>;

struct Row {
    std::string method, strength;
    Plan plan;
    Tensors tensors;
    double seconds = 0;
};

// A fresh model with `plan` applied; `options` receives the overrides.
std::unique_ptr<MoeModel> applied(const fs::path& dir, const Plan& plan, const Tensors& tensors, ForwardOptions& options)
{
    auto model = MoeModel::open(dir, ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    std::map<int, DecoderLayerWeights> layers;
    auto layer = [&](int i) -> DecoderLayerWeights& {
        if (!layers.count(i))
            layers[i] = model->layer(i);
        return layers[i];
    };
    std::map<std::string, const SparsifyMatrix*> maskOf;
    for (const auto& step : plan.steps) {
        if (const auto* r = std::get_if<RemoveExperts>(&step)) {
            auto& ov = options.overrides[r->layer].removedExperts;
            ov.insert(ov.end(), r->experts.begin(), r->experts.end());
        } else if (const auto* d = std::get_if<DropMoeSublayer>(&step)) {
            options.overrides[d->layer].skipMlp = true;
        } else if (const auto* b = std::get_if<DropBlock>(&step)) {
            options.overrides[b->layer].skipLayer = true;
        } else if (const auto* s = std::get_if<SparsifyMatrix>(&step)) {
            auto& moe = *layer(s->layer).moe;
            SwiGlu* mlp = &*moe.shared;
            if (s->expert >= 0)
                mlp = &moe.experts[static_cast<size_t>(
                    std::find(moe.expertIds.begin(), moe.expertIds.end(), s->expert) - moe.expertIds.begin())];
            Linear& lin = s->matrix == Proj::Gate ? mlp->gate : s->matrix == Proj::Up ? mlp->up : mlp->down;
            lin.weight = lin.weight * tensors.at(s->maskTensor).to(torch::kFloat);
            std::string delta = s->maskTensor;
            delta.replace(0, 5, "deltas");
            if (tensors.count(delta))
                lin.weight = lin.weight + tensors.at(delta);
        }
    }
    for (auto& [i, w] : layers)
        model->setLayer(i, std::move(w));
    return model;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 5) {
        fmt::print(stderr, "usage: bench_holistic MODEL_DIR CALIB EVAL TASKS [samples=32] [length=128]\n");
        return 2;
    }
    const fs::path dir = argv[1];
    const int64_t samples = argc > 5 ? std::atoll(argv[5]) : 32, length = argc > 6 ? std::atoll(argv[6]) : 128;
    torch::set_num_threads(1);
    const auto tokenizer = Tokenizer::fromFile(dir / "tokenizer.json");
    const auto calib = loadTextBlocks(argv[2], tokenizer, {samples, length, BlockSelection::Random, 0});
    const auto eval = loadTextBlocks(argv[3], tokenizer, {0, length, BlockSelection::Sequential, 0});
    MultipleChoiceOptions mco;
    mco.maxLength = length;
    const auto questions = encodeQuestions(readMultipleChoiceTask(argv[4]), tokenizer, mco);
    auto source = MoeModel::open(dir, ComputeOptions{torch::kFloat, torch::kCPU});
    source->makeResident();
    const auto& spec = source->spec();

    std::vector<Row> rows;
    rows.push_back({"original", "", Plan{}, {}, 0});
    auto timed = [&](const std::string& method, const std::string& strength, auto make) {
        Row r{method, strength, {}, {}, 0};
        const auto start = std::chrono::steady_clock::now();
        r.plan = make(r.tensors);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        rows.push_back(std::move(r));
    };
    const auto scores = computeExpertScores(*source, calib.ids, ExpertScoreKind::Auto);
    for (double ratio : {0.25, 0.5})
        timed("expert-drop layerwise", fmt::format("{:.0f}% experts", ratio * 100), [&](Tensors&) {
            return expertDropPlan(spec, scores, {ExpertDropMode::Layerwise, ratio});
        });
    timed("expert-drop global", "50% experts", [&](Tensors&) {
        return expertDropPlan(spec, scores, {ExpertDropMode::Global, 0.5});
    });
    const auto sim = computeLayerSimilarity(*source, calib.ids);
    for (int n : {1, 2})
        timed("layer-drop", fmt::format("{} MoE layer{}", n, n > 1 ? "s" : ""),
              [&](Tensors&) { return layerDropPlan(spec, sim, n); });
    for (int n : {1, 2})
        timed("block-drop discrete", fmt::format("{} block{}", n, n > 1 ? "s" : ""),
              [&](Tensors&) { return blockDropPlan(spec, sim, n, BlockDropMode::Discrete); });
    timed("block-drop consecutive", "2 blocks",
          [&](Tensors&) { return blockDropPlan(spec, sim, 2, BlockDropMode::Consecutive); });
    for (auto method : {SlimMethod::Wanda, SlimMethod::SparseGpt})
        for (const char* pattern : {"unstructured-0.25", "unstructured-0.5", "2:4"}) {
            const std::string p = pattern;
            timed(slimMethodName(method), p, [&](Tensors& t) {
                SlimmingOptions o;
                o.method = method;
                o.pattern = p == "2:4" ? SparsityPattern::parse("2:4", 0)
                                       : SparsityPattern::parse("unstructured", p.ends_with("0.5") ? 0.5 : 0.25);
                return slimExperts(*source, calib.ids, o, [&](const std::string& n, const torch::Tensor& x) { t[n] = x; }).plan;
            });
        }
    // Composition: Expert Drop 25% then Wanda 50% calibrated on the trimmed model.
    timed("expert-drop 25% + wanda", "50% in kept experts", [&](Tensors& t) {
        const Plan first = expertDropPlan(spec, scores, {ExpertDropMode::Layerwise, 0.25});
        ForwardOptions fo;
        auto trimmed = applied(dir, first, {}, fo);
        // The trimmed model's experts are masked in place; slim on a model whose layers hold only
        // the kept experts so routing matches the plan.
        for (const auto& step : first.steps) {
            const auto& r = std::get<RemoveExperts>(step);
            auto w = trimmed->layer(r.layer);
            auto& moe = *w.moe;
            std::vector<int64_t> keep;
            MoeWeights kept = moe;
            kept.experts.clear();
            kept.expertIds.clear();
            for (size_t j = 0; j < moe.expertIds.size(); ++j)
                if (std::find(r.experts.begin(), r.experts.end(), moe.expertIds[j]) == r.experts.end()) {
                    keep.push_back(static_cast<int64_t>(j));
                    kept.experts.push_back(moe.experts[j]);
                    kept.expertIds.push_back(moe.expertIds[j]);
                }
            kept.router = moe.router.index_select(0, torch::tensor(keep));
            w.moe = kept;
            trimmed->setLayer(r.layer, std::move(w));
        }
        SlimmingOptions o;
        o.pattern = SparsityPattern::parse("unstructured", 0.5);
        o.tensorPrefix = "composed";
        const Plan second =
            slimExperts(*trimmed, calib.ids, o, [&](const std::string& n, const torch::Tensor& x) { t[n] = x; }).plan;
        return composePlans(spec, first, second);
    });

    // Quality first; then throughput, measured in interleaved rounds (every model once per round, the
    // best round kept) so that the load of a shared machine spreads over all rows alike.
    struct Result {
        std::unique_ptr<MoeModel> model;
        ForwardOptions options;
        double perplexity = 0, acc = 0, accNorm = 0, tokensPerSecond = 0;
    };
    std::vector<Result> results(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        auto& r = results[i];
        r.model = applied(dir, rows[i].plan, rows[i].tensors, r.options);
        const auto logits = modelLogits(*r.model, r.options);
        r.perplexity = perplexity(logits, eval.ids).perplexity;
        const auto mc = scoreMultipleChoice(logits, questions, mco);
        r.acc = mc.acc;
        r.accNorm = mc.accNorm;
        fmt::print(stderr, "{} {}: perplexity {:.2f}\n", rows[i].method, rows[i].strength, r.perplexity);
    }
    const auto timing = eval.ids.narrow(0, 0, std::min<int64_t>(32, eval.count()));
    for (int round = 0; round < 5; ++round)
        for (auto& r : results)
            r.tokensPerSecond = std::max(r.tokensPerSecond,
                                         perplexity(modelLogits(*r.model, r.options), timing).run.tokensPerSecond);
    fmt::print("| method | strength | perplexity | acc | acc_norm | parameters | bytes | non-zeros | tokens/s | "
               "plan s |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = results[i];
        const auto account = accountPlan(spec, rows[i].plan);
        fmt::print("| {} | {} | {:.2f} | {:.3f} | {:.3f} | {} | {} | {} | {:.0f} | {:.1f} |\n", rows[i].method,
                   rows[i].strength, r.perplexity, r.acc, r.accNorm, account.result.total(), account.resultBytes,
                   account.resultNonZeros, r.tokensPerSecond, rows[i].seconds);
    }
    return 0;
}
