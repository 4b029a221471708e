// LoRA adapters and their training (lora.h).
#include "core/train/lora.h"

#include "core/io/error.h"
#include "core/io/splitmix.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

namespace moewb {

namespace {

bool targeted(const std::string& name, const LoraOptions& o)
{
    if (name.find(".self_attn.") != std::string::npos)
        return o.attention;
    if (name.find("shared_expert") != std::string::npos)
        return o.shared;
    if (name.find(".experts.") != std::string::npos || name.find(".block_sparse_moe.") != std::string::npos)
        return o.experts;
    return o.dense;
}

std::pair<torch::Tensor, torch::Tensor> newAdapter(int64_t in, int64_t out, int rank, const torch::TensorOptions& to,
                                                   torch::Generator& gen)
{
    const double bound = 1.0 / std::sqrt(static_cast<double>(in)); // PEFT: kaiming_uniform(a = sqrt(5))
    auto down = torch::empty({rank, in}, to).uniform_(-bound, bound, gen);
    auto up = torch::zeros({out, rank}, to);
    return {down.requires_grad_(true), up.requires_grad_(true)};
}

// Logits for the loss: at least fp32 (fp64 stays fp64).
torch::Tensor widen(const torch::Tensor& logits)
{
    return logits.scalar_type() == torch::kDouble ? logits : logits.to(torch::kFloat);
}

double learningRateAt(const FinetuneOptions& o, int64_t step)
{
    if (step < o.warmupSteps)
        return o.lr * double(step + 1) / double(o.warmupSteps);
    const double rest = double(std::max<int64_t>(1, o.steps - o.warmupSteps));
    return o.lr * std::max(0.0, 1.0 - double(step - o.warmupSteps) / rest);
}

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

} // namespace

std::vector<LoraAdapter> attachLora(MoeModel& model, const LoraOptions& o)
{
    if (!model.resident())
        model.makeResident();
    if (model.options().dtype != torch::kFloat && model.options().dtype != torch::kDouble)
        fail("LoRA fine-tuning needs an fp32 or fp64 model (compute dtype)");
    if (o.rank < 1)
        fail("LoRA rank must be at least 1 (got {})", o.rank);
    auto gen = at::detail::createCPUGenerator(o.seed);
    const auto to = torch::TensorOptions().dtype(model.options().dtype).device(model.options().device);
    const double scale = o.alpha / o.rank;
    std::vector<LoraAdapter> adapters;
    const ModelSpec& spec = model.spec();
    for (int i = 0; i < spec.numLayers; ++i) {
        auto w = model.layer(i);
        visitLayerLinears(spec, w, [&](const std::string& name, Linear& l) {
            if (!targeted(name, o))
                return;
            l.loraScale = scale;
            l.loraDropout = o.dropout;
            if (l.factored()) {
                std::tie(l.innerLoraA, l.innerLoraB) = newAdapter(l.b.size(1), l.b.size(0), o.rank, to, gen);
                std::tie(l.loraA, l.loraB) = newAdapter(l.a.size(1), l.a.size(0), o.rank, to, gen);
                adapters.push_back({name + ".B", l.innerLoraA, l.innerLoraB, scale});
                adapters.push_back({name + ".A", l.loraA, l.loraB, scale});
            } else {
                std::tie(l.loraA, l.loraB) = newAdapter(l.weight.size(1), l.weight.size(0), o.rank, to, gen);
                adapters.push_back({name, l.loraA, l.loraB, scale});
            }
        });
        model.setLayer(i, std::move(w));
    }
    return adapters;
}

void detachLora(MoeModel& model)
{
    for (int i = 0; i < model.spec().numLayers; ++i) {
        auto w = model.layer(i);
        visitLayerLinears(model.spec(), w, [](const std::string&, Linear& l) {
            l.loraA = l.loraB = l.innerLoraA = l.innerLoraB = torch::Tensor();
            l.loraScale = l.loraDropout = 0.0;
        });
        model.setLayer(i, std::move(w));
    }
}

std::vector<ApplyDelta> loraDeltas(const std::vector<LoraAdapter>& adapters, const std::string& prefix)
{
    std::vector<ApplyDelta> out;
    for (const auto& a : adapters)
        out.push_back({a.parameter, DeltaKind::LowRank, {prefix + "/" + a.parameter + "/B", prefix + "/" + a.parameter + "/A"},
                       a.scale});
    return out;
}

std::map<std::string, torch::Tensor> loraTensors(const std::vector<LoraAdapter>& adapters, const std::string& prefix)
{
    std::map<std::string, torch::Tensor> out;
    for (const auto& a : adapters) {
        out[prefix + "/" + a.parameter + "/B"] = a.up.detach().to(torch::kCPU, torch::kFloat).contiguous();
        out[prefix + "/" + a.parameter + "/A"] = a.down.detach().to(torch::kCPU, torch::kFloat).contiguous();
    }
    return out;
}

double lmLoss(const MoeModel& model, const torch::Tensor& w, bool withGrad)
{
    ForwardOptions fo;
    fo.enableGrad = withGrad;
    const auto inputs = w.narrow(1, 0, w.size(1) - 1);
    const auto targets = w.narrow(1, 1, w.size(1) - 1).to(model.options().device);
    auto logits = model.forward(inputs, {}, fo).logits;
    auto loss = torch::nn::functional::cross_entropy(widen(logits).reshape({-1, logits.size(-1)}), targets.reshape({-1}));
    return loss.item<double>();
}

FinetuneResult finetuneLora(MoeModel& model, std::vector<LoraAdapter>& adapters, const std::vector<int32_t>& train,
                            const std::vector<int32_t>& heldOut, const FinetuneOptions& o,
                            const std::function<bool(const FinetuneReport&)>& onStep)
{
    FinetuneResult result;
    const auto start = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> params;
    for (auto& a : adapters) {
        params.push_back(a.down);
        params.push_back(a.up);
    }
    if (params.empty())
        fail("fine-tuning: no adapters to train (check the target modules)");
    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
    SplitMix64 rng(o.seed * 0x9E3779B97F4A7C15ull + 17);
    torch::manual_seed(o.seed);
    const bool evaluate = !heldOut.empty() && o.evalBlocks > 0;
    const auto evalWindows = evaluate
        ? windows(heldOut, std::min<int64_t>(o.evalBlocks, std::max<int64_t>(1, int64_t(heldOut.size()) / (o.seqLen + 1))),
                  o.seqLen, nullptr)
        : torch::Tensor();
    std::vector<torch::Tensor> best;
    auto snapshot = [&] {
        best.clear();
        for (const auto& p : params)
            best.push_back(p.detach().clone());
    };
    auto restore = [&] {
        torch::NoGradGuard guard;
        for (size_t i = 0; i < params.size(); ++i)
            params[i].copy_(best[i]);
    };
    auto heldOutPpl = [&] {
        torch::NoGradGuard guard;
        return std::exp(lmLoss(model, evalWindows, false));
    };
    if (evaluate) {
        result.bestPerplexity = heldOutPpl();
        result.heldOut.emplace_back(0, result.bestPerplexity);
        snapshot();
    }
    int sinceBest = 0;
    for (int64_t step = 0; step < o.steps; ++step) {
        const double lr = learningRateAt(o, step);
        for (auto& group : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        optimizer.zero_grad();
        double lossSum = 0;
        for (int64_t micro = 0; micro < o.accumulation; ++micro) {
            const auto w = windows(train, o.batchSize, o.seqLen, &rng);
            ForwardOptions fo;
            fo.enableGrad = true;
            auto logits = model.forward(w.narrow(1, 0, o.seqLen), {}, fo).logits;
            auto loss = torch::nn::functional::cross_entropy(
                widen(logits).reshape({-1, logits.size(-1)}),
                w.narrow(1, 1, o.seqLen).reshape({-1}).to(logits.device()));
            (loss / double(o.accumulation)).backward();
            lossSum += loss.item<double>();
        }
        optimizer.step();
        FinetuneReport report{step + 1, o.steps, lossSum / double(o.accumulation), lr, std::nullopt};
        result.losses.push_back(report.loss);
        result.steps = step + 1;
        bool stop = false;
        if (evaluate && ((step + 1) % o.evalEvery == 0 || step + 1 == o.steps)) {
            const double ppl = heldOutPpl();
            report.heldOutPerplexity = ppl;
            result.heldOut.emplace_back(step + 1, ppl);
            if (ppl < result.bestPerplexity) {
                result.bestPerplexity = ppl;
                result.bestStep = step + 1;
                sinceBest = 0;
                snapshot();
            } else if (o.patience > 0 && ++sinceBest >= o.patience) {
                result.earlyStopped = true;
                stop = true;
            }
        }
        if (onStep && !onStep(report)) {
            if (evaluate)
                restore();
            throw Cancelled();
        }
        if (stop)
            break;
    }
    if (evaluate)
        restore(); // the best adapters (the untrained ones when training never beat them)
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace moewb
