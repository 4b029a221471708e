// The LoRA training loop (lora.h finetuneLora): AdamW with linear warm-up and decay, gradient
// accumulation, text windows or padded instruction pairs with a masked loss, held-out evaluation of
// the training objective with early stopping on it, and checkpoint/resume (lora_checkpoint.h; a
// resumed run reports the checkpoint's steps again before it trains, so a live curve is whole).
// Everything random in a step is drawn from the seed and the step number (batches) or from torch's
// generator of the model's device, saved in the checkpoint (adapter dropout), so a resumed run
// computes exactly what an uninterrupted one does. A checkpoint resumes on any device (its tensors
// are loaded onto the model's); bit-identical continuation needs the device it was written on. The objective is
// next-token cross-entropy or distillation from a teacher (the original model; lora.h
// FinetuneObjective; lora_objective.* computes it and its held-out value).
#include "core/train/lora.h"

#include "core/io/error.h"
#include "core/io/splitmix.h"
#include "core/train/lora_checkpoint.h"
#include "core/train/lora_objective.h"
#include "core/train/schedule.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>

namespace moewb {

namespace fs = std::filesystem;

namespace {

torch::Tensor windows(const std::vector<int32_t>& ids, int64_t count, int64_t length, SplitMix64* rng)
{
    const int64_t span = length + 1;
    if (static_cast<int64_t>(ids.size()) < span)
        fail("fine-tuning: {} tokens are fewer than one window of {}", ids.size(), span);
    auto out = torch::empty({count, span}, torch::kLong);
    auto acc = out.accessor<int64_t, 2>();
    const int64_t positions = static_cast<int64_t>(ids.size()) - span + 1;
    for (int64_t i = 0; i < count; ++i) {
        const int64_t start = rng ? static_cast<int64_t>(rng->below(static_cast<uint64_t>(positions)))
                                  : (i * span) % positions;
        for (int64_t t = 0; t < span; ++t)
            acc[i][t] = ids[static_cast<size_t>(start + t)];
    }
    return out;
}

// The batches of one step come from (seed, step) alone: nothing to save for them.
SplitMix64 stepRng(uint64_t seed, int64_t step)
{
    SplitMix64 mix(seed * 0x9E3779B97F4A7C15ull + 17);
    return SplitMix64(mix.next() ^ (static_cast<uint64_t>(step) * 0xD1B54A32D192ED03ull));
}

LmBatch nextBatch(const LoraTrainData& data, const FinetuneOptions& o, SplitMix64& rng)
{
    if (data.pairs.empty())
        return windowBatch(windows(data.text, o.batchSize, o.seqLen, &rng));
    std::vector<const InstructionExample*> picked;
    for (int64_t i = 0; i < o.batchSize; ++i)
        picked.push_back(&data.pairs[static_cast<size_t>(rng.below(data.pairs.size()))]);
    return instructionBatch(picked, o.seqLen, data.padId);
}

// What a checkpoint must agree on to be resumed.
nlohmann::json identity(const FinetuneOptions& o, const std::vector<LoraAdapter>& adapters, const LoraTrainData& data,
                        const std::vector<int32_t>& heldOut)
{
    nlohmann::json shapes = nlohmann::json::array();
    for (const auto& a : adapters)
        shapes.push_back({a.parameter, a.down.sizes().vec(), a.up.sizes().vec(), a.scale});
    nlohmann::json id{{"steps", o.steps}, {"batch", o.batchSize}, {"seq_len", o.seqLen}, {"accumulation", o.accumulation},
                      {"lr", o.lr}, {"weight_decay", o.weightDecay}, {"warmup", o.warmupSteps},
                      {"eval_every", o.evalEvery}, {"eval_blocks", o.evalBlocks}, {"patience", o.patience}, {"seed", o.seed},
                      {"adapters", shapes}, {"data", data.pairs.empty() ? "text" : "pairs"},
                      {"data_size", data.pairs.empty() ? data.text.size() : data.pairs.size()}, {"held_out", heldOut.size()}};
    // The dropout changes every step's noise (version 1 checkpoints did not record it: restoreProgress
    // compares them without it).
    id["lora_dropout"] = adapters.empty() ? 0.0 : adapters.front().dropout;
    // Lm adds nothing, so checkpoints written before the objective existed still resume.
    if (o.objective != FinetuneObjective::Lm)
        id.update({{"objective", objectiveName(o.objective)}, {"temperature", o.temperature},
                   {"distill_weight", o.distillWeight}});
    return id;
}

// Reports the steps a resumed checkpoint holds again (FinetuneReport::restored): each step's loss and
// lr and, at the evaluated steps, the held-out values, as the interrupted run reported them. False
// when `onStep` says stop.
bool reportRestored(const FinetuneResult& r, const FinetuneOptions& o,
                    const std::function<bool(const FinetuneReport&)>& onStep)
{
    size_t eval = 0;
    while (eval < r.heldOut.size() && r.heldOut[eval].first == 0)
        ++eval; // before training: not a step
    for (size_t i = 0; i < r.losses.size(); ++i) {
        FinetuneReport report;
        report.restored = true;
        report.step = static_cast<int64_t>(i) + 1;
        report.steps = o.steps;
        report.loss = r.losses[i];
        report.lr = warmupLinearDecay(o.lr, o.warmupSteps, o.steps, static_cast<int64_t>(i));
        if (eval < r.heldOut.size() && r.heldOut[eval].first == report.step) {
            report.heldOutPerplexity = r.heldOut[eval].second;
            if (eval < r.heldOutObjective.size())
                report.heldOutObjective = r.heldOutObjective[eval];
            if (eval < r.heldOutKl.size())
                report.heldOutKl = r.heldOutKl[eval];
            ++eval;
        }
        if (!onStep(report))
            return false;
    }
    return true;
}

} // namespace

FinetuneResult finetuneLora(MoeModel& model, std::vector<LoraAdapter>& adapters, const std::vector<int32_t>& train,
                            const std::vector<int32_t>& heldOut, const FinetuneOptions& o,
                            const std::function<bool(const FinetuneReport&)>& onStep)
{
    LoraTrainData data;
    data.text = train;
    return finetuneLora(model, adapters, data, heldOut, o, onStep);
}

FinetuneResult finetuneLora(MoeModel& model, std::vector<LoraAdapter>& adapters, const LoraTrainData& data,
                            const std::vector<int32_t>& heldOut, const FinetuneOptions& o,
                            const std::function<bool(const FinetuneReport&)>& onStep)
{
    const auto start = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> params;
    for (auto& a : adapters) {
        params.push_back(a.down);
        params.push_back(a.up);
    }
    if (params.empty())
        fail("fine-tuning: no adapters to train (check the target modules)");
    if (data.pairs.empty() && static_cast<int64_t>(data.text.size()) < o.seqLen + 1)
        fail("fine-tuning: {} tokens are fewer than one window of {}", data.text.size(), o.seqLen + 1);
    checkObjective(model, o);
    checkTrainingLength(model.spec(), o.seqLen);
    if ((o.checkpointEvery > 0 || o.resume) && o.checkpoint.empty())
        fail("fine-tuning: checkpointing needs a checkpoint file");
    // A checkpoint replaces its file: only ever an earlier checkpoint (never a session, a model's
    // weights or any other file someone named by mistake).
    if (!o.checkpoint.empty() && fs::exists(o.checkpoint) && !isFinetuneCheckpoint(o.checkpoint))
        fail("{}: exists and is not a fine-tuning checkpoint; it is left alone (choose another checkpoint file)",
             o.checkpoint.string());
    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
    torch::manual_seed(o.seed);
    const auto id = identity(o, adapters, data, heldOut);
    const bool evaluate = !heldOut.empty() && o.evalBlocks > 0;
    const auto evalWindows = evaluate
        ? windows(heldOut, std::min<int64_t>(o.evalBlocks, std::max<int64_t>(1, int64_t(heldOut.size()) / (o.seqLen + 1))),
                  o.seqLen, nullptr)
        : torch::Tensor();
    LoopState s;
    auto snapshot = [&] {
        s.best.clear();
        for (const auto& p : params)
            s.best.push_back(p.detach().clone());
    };
    auto restore = [&] {
        torch::NoGradGuard guard;
        for (size_t i = 0; i < params.size(); ++i)
            params[i].copy_(s.best[i]);
    };
    HeldOutEvaluator evaluateHeldOut(model, evalWindows, o);
    // Records an evaluation after `step` steps; true when it is the best so far (the training
    // objective's held-out value; for lm compared as perplexity, exactly as before).
    auto record = [&](int64_t step, const HeldOutScore& h, FinetuneReport* report) {
        s.result.heldOut.emplace_back(step, h.perplexity);
        s.result.heldOutObjective.push_back(h.objective);
        if (h.kl)
            s.result.heldOutKl.push_back(*h.kl);
        if (report) {
            report->heldOutPerplexity = h.perplexity;
            report->heldOutObjective = h.objective;
            report->heldOutKl = h.kl;
        }
        const bool best = step == 0 ||
            (o.objective == FinetuneObjective::Lm ? h.perplexity < s.result.bestPerplexity
                                                  : h.objective < s.result.bestObjective);
        if (best) {
            s.result.bestPerplexity = h.perplexity;
            s.result.bestObjective = h.objective;
            s.result.bestStep = step;
        }
        return best;
    };
    double before = 0; // seconds of the runs a resume continues
    const bool resumed = o.resume && fs::exists(o.checkpoint);
    if (resumed) {
        loadCheckpoint(o.checkpoint, id, s, params, optimizer, model.options().device);
        before = s.result.seconds;
        if (onStep && !reportRestored(s.result, o, onStep)) { // the checkpoint stays as it was
            if (evaluate)
                restore();
            throw Cancelled();
        }
    } else if (evaluate) {
        record(0, evaluateHeldOut(), nullptr);
        snapshot();
    }
    auto elapsed = [&] { return before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    auto checkpoint = [&] {
        if (o.checkpoint.empty())
            return;
        s.result.seconds = elapsed();
        saveCheckpoint(o.checkpoint, id, s, params, optimizer, model.options().device);
    };
    for (; s.step < o.steps && !s.stopped; ++s.step) {
        const int64_t step = s.step;
        const double lr = warmupLinearDecay(o.lr, o.warmupSteps, o.steps, step);
        for (auto& group : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        optimizer.zero_grad();
        auto rng = stepRng(o.seed, step);
        double lossSum = 0;
        for (int64_t micro = 0; micro < o.accumulation; ++micro) {
            const auto batch = nextBatch(data, o, rng);
            if (batch.lossTokens == 0)
                continue; // every response cut off by seqLen: nothing to learn from this micro-batch
            auto loss = objectiveLoss(model, batch, o);
            (loss / double(o.accumulation)).backward();
            lossSum += loss.item<double>();
        }
        if (!std::isfinite(lossSum)) // before the update: the adapters stay as the last good step left them
            fail("fine-tuning diverged at step {}: the loss is {}; lower the learning rate", step + 1, lossSum);
        optimizer.step();
        FinetuneReport report;
        report.step = step + 1;
        report.steps = o.steps;
        report.loss = lossSum / double(o.accumulation);
        report.lr = lr;
        s.result.losses.push_back(report.loss);
        s.result.steps = step + 1;
        if (evaluate && ((step + 1) % o.evalEvery == 0 || step + 1 == o.steps)) {
            if (record(step + 1, evaluateHeldOut(), &report)) {
                s.sinceBest = 0;
                snapshot();
            } else if (o.patience > 0 && ++s.sinceBest >= o.patience) {
                s.result.earlyStopped = true;
                s.stopped = true;
            }
        }
        const bool keepGoing = !onStep || onStep(report);
        const bool done = s.stopped || step + 1 == o.steps;
        if (!keepGoing || (done && o.checkpointWhenDone) || (o.checkpointEvery > 0 && (step + 1) % o.checkpointEvery == 0)) {
            ++s.step; // the checkpoint resumes after this step
            checkpoint();
            --s.step;
        }
        if (!keepGoing) {
            if (evaluate)
                restore();
            throw Cancelled();
        }
    }
    if (evaluate)
        restore(); // the best adapters (the untrained ones when training never beat them)
    FinetuneResult result = std::move(s.result);
    result.seconds = elapsed();
    return result;
}

} // namespace moewb
