// The low-rank stage: importance on the pruned model, rank allocation, per-expert input statistics and
// factors, one layer at a time (decompose.h).
#include "core/lowrank/decompose.h"

#include "core/analysis/calibration.h"
#include "core/io/error.h"
#include "core/model/moe_block.h"
#include "core/model/projection.h"

#include <torch/types.h>

#include <chrono>
#include <cmath>

namespace moewb {

namespace {

double since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string svdName(SvdMode mode)
{
    return mode == SvdMode::Plain ? "plain" : "activation_aware";
}

} // namespace

DecomposeResult decomposeExperts(const MoeModel& pruned, const Plan& pruning, const torch::Tensor& blocks,
                                 const DecomposeOptions& options)
{
    const ModelSpec& spec = pruned.spec();
    DecomposeResult result;
    const bool needImportance = options.importance.empty();
    const double pass1Share = needImportance ? 0.4 : 0.0;
    auto scaled = [&](double from, double share) {
        return [&options, from, share](double f) { return !options.progress || options.progress(from + share * f); };
    };

    auto start = std::chrono::steady_clock::now();
    if (needImportance) {
        AnalysisOptions ao;
        ao.batchTokens = options.batchTokens;
        ao.progress = scaled(0.0, pass1Share);
        result.importance = analyzeImportance(pruned, blocks, ao);
    } else {
        result.importance = options.importance;
    }
    result.importanceSeconds = needImportance ? since(start) : 0.0;

    RankAllocationInput in;
    in.decompositionRate = options.rate;
    in.alpha = options.alpha;
    in.layerAverageRank = options.layerAverageRank;
    in.expertRank = options.expertRank;
    for (const LayerAnalysis& la : result.importance) {
        const LayerSpec& ls = spec.layers.at(static_cast<size_t>(la.layer));
        in.layers.push_back({la.layer, la.expertIds, la.expertLoss, spec.hiddenSize, ls.expertWidth});
    }
    result.allocation = allocateRanks(in);
    std::map<int, const LayerRanks*> byLayer;
    for (const LayerRanks& lr : result.allocation.layers)
        byLayer[lr.layer] = &lr;

    start = std::chrono::steady_clock::now();
    std::map<int, FactorExperts> steps;
    CalibrationOptions co;
    co.batchTokens = options.batchTokens;
    co.progress = scaled(pass1Share, 1.0 - pass1Share);
    co.onLayer = [&](const LayerCapture& c) {
        const auto it = byLayer.find(c.layer);
        if (it == byLayer.end() || !c.weights || !c.weights->moe)
            return;
        const MoeWeights& moe = *c.weights->moe;
        const LayerSpec& ls = spec.layers.at(static_cast<size_t>(c.layer));
        const int topK = std::min<int>(ls.topK, static_cast<int>(moe.experts.size()));
        const Routing routing = routePruned(spec, ls, moe, c.moe.logits, topK, c.moe.x.scalar_type());
        FactorExperts step{c.layer, {}, fmt::format("{}/layer{:03d}", options.factorPrefix, c.layer)};
        std::vector<FactorJob> jobs;
        std::vector<MatrixReport> reports;
        std::vector<torch::Tensor> grams;
        const auto& choices = it->second->experts;
        for (size_t j = 0; j < choices.size(); ++j) {
            const ExpertRankChoice& choice = choices[j];
            if (choice.rank == 0)
                continue;
            const auto pos = std::find(moe.expertIds.begin(), moe.expertIds.end(), choice.expert) - moe.expertIds.begin();
            if (pos >= static_cast<int64_t>(moe.expertIds.size()))
                fail("decompose: layer {} expert {} is not in the pruned model", c.layer, choice.expert);
            const SwiGlu& expert = moe.experts[static_cast<size_t>(pos)];
            auto tokens = (routing.ids == pos).any(1).nonzero().squeeze(1);
            auto x = c.moe.x.index_select(0, tokens);
            auto h = torch::silu(expert.gate(x)) * expert.up(x);
            auto xd = x.to(torch::kDouble), hd = h.to(torch::kDouble);
            auto gIn = torch::matmul(xd.t(), xd), gHidden = torch::matmul(hd.t(), hd);
            const int64_t t = tokens.size(0);
            step.ranks.push_back({choice.expert, choice.rank, options.mode});
            for (Proj p : {Proj::Gate, Proj::Up, Proj::Down}) {
                const auto& g = p == Proj::Down ? gHidden : gIn;
                jobs.push_back({projection(expert, p).weight, g, t, choice.rank, options.mode});
                grams.push_back(g);
                MatrixReport r;
                r.layer = c.layer;
                r.expert = choice.expert;
                r.matrix = p;
                r.rank = choice.rank;
                r.tokens = t;
                reports.push_back(r);
            }
        }
        const auto factors = factorMatrices(jobs);
        for (size_t k = 0; k < jobs.size(); ++k) {
            MatrixReport& r = reports[k];
            const auto& w = jobs[k].w;
            r.used = factors[k].used;
            r.jitter = factors[k].jitter;
            const auto wd = w.to(torch::kDouble);
            const auto approx = torch::matmul(factors[k].a.to(torch::kDouble), factors[k].b.to(torch::kDouble));
            r.relativeError = ((wd - approx).norm() / wd.norm().clamp_min(1e-300)).item<double>();
            const double base = torch::matmul(torch::matmul(wd, grams[k]), wd.t()).trace().item<double>();
            r.activationError = base > 0 ? std::sqrt(activationError(w, factors[k].a, factors[k].b, grams[k]) / base) : 0.0;
            result.factors[factorTensorName(step.factors, r.expert, r.matrix, true)] = factors[k].a.cpu();
            result.factors[factorTensorName(step.factors, r.expert, r.matrix, false)] = factors[k].b.cpu();
            result.matrices.push_back(r);
        }
        if (!step.ranks.empty())
            steps.emplace(c.layer, std::move(step));
        if (!c.progress(1.0))
            throw Cancelled();
    };
    runCalibration(pruned, blocks, co);
    result.factorSeconds = since(start);

    result.plan = pruning;
    result.plan.name = options.planName;
    result.plan.method = "moe-i2";
    result.plan.parameters = nlohmann::json::object();
    if (!pruning.steps.empty())
        result.plan.parameters["pruning"] = pruning.parameters;
    result.plan.parameters["decomposition_rate"] = options.rate;
    result.plan.parameters["alpha"] = options.alpha;
    result.plan.parameters["svd"] = svdName(options.mode);
    result.plan.parameters["factors"] = options.factorPrefix;
    result.plan.parameters["rank_budget"] = result.allocation.budget;
    result.plan.parameters["rank_allocated"] = result.allocation.allocated;
    for (auto& [layer, step] : steps)
        result.plan.steps.push_back(std::move(step));
    return result;
}

} // namespace moewb
