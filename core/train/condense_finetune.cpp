// Fine-tuning of CD-MoE's condensed layers (condense_finetune.h).
#include "core/train/condense_finetune.h"

#include "core/io/error.h"
#include "core/io/splitmix.h"
#include "core/io/tensor_layout.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/train/lora_data.h"
#include "core/train/schedule.h"

#include <torch/types.h>
#include <torch/utils.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace moewb {

namespace {

// "<weight>#a" (a factor in the model's tensor names) -> "<weight>.A" (the plan's delta convention).
std::string deltaParameterName(const std::string& name)
{
    if (name.ends_with("#a"))
        return name.substr(0, name.size() - 2) + ".A";
    if (name.ends_with("#b"))
        return name.substr(0, name.size() - 2) + ".B";
    return name;
}

} // namespace

LmWindows makeLmWindows(const std::vector<int32_t>& ids, int64_t seqLen, int64_t padId)
{
    if (seqLen < 1)
        fail("fine-tuning: sequence length must be at least 1 (got {})", seqLen);
    const auto n = static_cast<int64_t>(ids.size());
    if (n < 2)
        fail("fine-tuning: the training text has {} token(s); at least 2 are needed", n);
    const int64_t span = seqLen + 1;
    // Windows start every seqLen + 1 tokens; the last one holds what is left (at least 2 tokens).
    int64_t count = n / span;
    if (n - count * span >= 2)
        ++count;
    auto inputs = torch::full({count, seqLen}, padId, torch::kLong);
    auto targets = torch::full({count, seqLen}, kIgnoreTarget, torch::kLong);
    auto in = inputs.accessor<int64_t, 2>();
    auto tg = targets.accessor<int64_t, 2>();
    for (int64_t w = 0; w < count; ++w) {
        const int64_t start = w * span, len = std::min(span, n - start);
        for (int64_t t = 0; t + 1 < len; ++t) {
            in[w][t] = ids[static_cast<size_t>(start + t)];
            tg[w][t] = ids[static_cast<size_t>(start + t + 1)];
        }
    }
    return {inputs, targets};
}

torch::Tensor maskedLmLoss(const MoeModel& model, const torch::Tensor& inputs, const torch::Tensor& targets,
                           bool withGrad)
{
    ForwardOptions fo;
    fo.enableGrad = withGrad;
    if ((targets != kIgnoreTarget).sum().item<int64_t>() == 0)
        fail("fine-tuning: a batch without a single unmasked target");
    return maskedLmLoss(model.forward(inputs, {}, fo).logits, targets); // lora_data.h: the same masked mean
}

std::vector<std::string> condensedTrainableNames(MoeModel& model, const std::vector<int>& layers, bool shared)
{
    const ModelSpec& spec = model.spec();
    std::set<std::string> wanted; // weight names; factors are matched by "<name>#a/#b"
    for (int l : layers) {
        if (l < 0 || l >= spec.numLayers)
            fail("fine-tuning: layer {} out of range (the model has {} layers)", l, spec.numLayers);
        const auto w = model.layer(l);
        if (!w.moe || !w.moe->condensed)
            fail("fine-tuning: layer {} is not a condensed MoE layer", l);
        for (int e : w.moe->expertIds)
            for (Proj p : {Proj::Gate, Proj::Up, Proj::Down})
                wanted.insert(expertProjName(spec, l, e, p));
        if (shared && w.moe->shared)
            for (Proj p : {Proj::Gate, Proj::Up, Proj::Down})
                wanted.insert(sharedExpertProjName(spec, l, p));
    }
    std::vector<std::string> names;
    for (auto& [name, t] : model.namedParameters()) {
        std::string base = name;
        if (base.ends_with("#a") || base.ends_with("#b"))
            base = base.substr(0, base.size() - 2);
        if (wanted.count(base))
            names.push_back(name);
    }
    return names;
}

CondenseFinetuneResult finetuneCondensed(MoeModel& model, const std::vector<int>& layers,
                                         const std::vector<int32_t>& train, const CondenseFinetuneOptions& o,
                                         const std::function<bool(const CondenseFinetuneStep&)>& onStep)
{
    if (!model.resident())
        model.makeResident();
    if (model.options().dtype != torch::kFloat && model.options().dtype != torch::kDouble)
        fail("condense fine-tuning needs an fp32 or fp64 model (compute dtype)");
    if (o.steps < 1 || o.batchSize < 1)
        fail("condense fine-tuning: steps and batch size must be at least 1 (got {} and {})", o.steps, o.batchSize);
    if (layers.empty())
        fail("condense fine-tuning: no condensed layers to train");
    checkTrainingLength(model.spec(), o.seqLen);
    CondenseFinetuneResult result;
    const auto start = std::chrono::steady_clock::now();
    const auto names = condensedTrainableNames(model, layers, o.sharedExperts);
    const std::set<std::string> nameSet(names.begin(), names.end());
    std::vector<torch::Tensor> params;
    std::map<std::string, torch::Tensor> original;
    for (auto& [name, t] : model.namedParameters()) {
        if (!nameSet.count(name)) {
            t.requires_grad_(false);
            continue;
        }
        original[name] = t.detach().clone();
        t.requires_grad_(true);
        params.push_back(t);
        result.parameters.push_back(deltaParameterName(name));
        result.trainableParameters += t.numel();
    }
    if (params.empty())
        fail("condense fine-tuning: the condensed layers hold no expert weights to train");

    const ModelSpec& spec = model.spec();
    const int64_t pad = spec.padTokenId.value_or(spec.eosTokenId.value_or(0));
    const LmWindows data = makeLmWindows(train, o.seqLen, pad);
    const int64_t count = data.inputs.size(0);
    result.windows = count;
    result.paddedTargets = (data.targets == kIgnoreTarget).sum().item<int64_t>();

    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
    SplitMix64 rng(o.seed * 0x9E3779B97F4A7C15ull + 29);
    const int64_t batch = std::min(o.batchSize, count);
    std::vector<int64_t> order(static_cast<size_t>(count));
    size_t next = order.size(); // reshuffle at the start
    auto draw = [&] {
        std::vector<int64_t> pick;
        while (static_cast<int64_t>(pick.size()) < batch) {
            if (next == order.size()) { // a fresh epoch: Fisher-Yates with the run's generator
                for (int64_t i = 0; i < count; ++i)
                    order[static_cast<size_t>(i)] = i;
                for (int64_t i = count - 1; i > 0; --i)
                    std::swap(order[static_cast<size_t>(i)],
                              order[static_cast<size_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
                next = 0;
            }
            pick.push_back(order[next++]);
        }
        return torch::tensor(pick, torch::kLong);
    };
    for (int64_t step = 0; step < o.steps; ++step) {
        const double lr = warmupLinearDecay(o.lr, o.warmupSteps, o.steps, step);
        for (auto& group : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        optimizer.zero_grad();
        const auto index = draw();
        auto loss = maskedLmLoss(model, data.inputs.index_select(0, index), data.targets.index_select(0, index), true);
        loss.backward();
        optimizer.step();
        CondenseFinetuneStep report{step + 1, o.steps, loss.item<double>(), lr};
        result.losses.push_back(report.loss);
        if (onStep && !onStep(report)) {
            for (auto& p : params)
                p.requires_grad_(false);
            throw Cancelled();
        }
    }
    torch::NoGradGuard guard;
    for (auto& [name, t] : model.namedParameters())
        if (auto it = original.find(name); it != original.end()) {
            t.requires_grad_(false);
            result.deltas[deltaParameterName(name)] = (t.detach() - it->second).to(torch::kCPU, torch::kFloat).contiguous();
        }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

std::vector<ApplyDelta> condenseDeltaSteps(const CondenseFinetuneResult& result, const std::string& prefix)
{
    std::vector<ApplyDelta> out;
    for (const auto& name : result.parameters)
        out.push_back({name, DeltaKind::Dense, {prefix + "/" + name}, 1.0});
    return out;
}

void storeCondenseFinetune(Session& session, Plan& plan, const CondenseFinetuneResult& result,
                           const CondenseFinetuneOptions& options, const std::string& trainPath)
{
    const auto folderOf = [](const std::string& name) { return planTensorPrefix("deltas", name); };
    claimTensorFolder(session, plan.name, folderOf);
    Plan before = plan; // the plan before fine-tuning stays in the session too, for comparisons
    before.name = plan.name + "-no-finetune";
    session.setPlan(before);
    const std::string prefix = folderOf(plan.name);
    removeSessionTensors(session, prefix);
    for (const auto& [name, t] : result.deltas)
        putSessionTensor(session, prefix + "/" + name, t);
    for (auto& step : condenseDeltaSteps(result, prefix))
        plan.steps.push_back(step);
    plan.parameters["finetune"] = {{"steps", options.steps},
                                   {"lr", options.lr},
                                   {"batch_size", options.batchSize},
                                   {"warmup_steps", options.warmupSteps},
                                   {"weight_decay", options.weightDecay},
                                   {"shared_experts", options.sharedExperts},
                                   {"train", trainPath},
                                   {"losses", result.losses}};
}

} // namespace moewb
