// LoRA adapters and their training (lora.h).
#include "core/train/lora.h"

#include "core/io/error.h"
#include "core/io/warning.h"

#include <torch/types.h>
#include <torch/nn/functional/loss.h>

#include <algorithm>
#include <cmath>
#include <limits>

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

// Drawn on the CPU with the run's CPU generator, then moved: the same adapters on every device.
std::pair<torch::Tensor, torch::Tensor> newAdapter(int64_t in, int64_t out, int rank, const torch::TensorOptions& to,
                                                   torch::Generator& gen)
{
    const double bound = 1.0 / std::sqrt(static_cast<double>(in)); // PEFT: kaiming_uniform(a = sqrt(5))
    auto down = torch::empty({rank, in}, to.device(torch::kCPU)).uniform_(-bound, bound, gen).to(to.device());
    auto up = torch::zeros({out, rank}, to);
    return {down.requires_grad_(true), up.requires_grad_(true)};
}

// Logits for the loss: at least fp32 (fp64 stays fp64).
torch::Tensor widen(const torch::Tensor& logits)
{
    return logits.scalar_type() == torch::kDouble ? logits : logits.to(torch::kFloat);
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
    // Adapters wider than their matrix's rank (min(in, out)) can learn nothing more than a full-rank
    // delta and hold more parameters than it: kept as asked, with a warning naming the largest useful rank.
    int64_t tooWide = 0, usefulRank = std::numeric_limits<int64_t>::max();
    auto adapter = [&](int64_t in, int64_t out) {
        if (o.rank > std::min(in, out)) {
            ++tooWide;
            usefulRank = std::min(usefulRank, std::min(in, out));
        }
        return newAdapter(in, out, o.rank, to, gen);
    };
    for (int i = 0; i < spec.numLayers; ++i) {
        auto w = model.layer(i);
        visitLayerLinears(spec, w, [&](const std::string& name, Linear& l) {
            if (!targeted(name, o))
                return;
            l.loraScale = scale;
            l.loraDropout = o.dropout;
            if (l.factored()) {
                std::tie(l.innerLoraA, l.innerLoraB) = adapter(l.b.size(1), l.b.size(0));
                std::tie(l.loraA, l.loraB) = adapter(l.a.size(1), l.a.size(0));
                adapters.push_back({name + ".B", l.innerLoraA, l.innerLoraB, scale, o.dropout});
                adapters.push_back({name + ".A", l.loraA, l.loraB, scale, o.dropout});
            } else {
                std::tie(l.loraA, l.loraB) = adapter(l.weight.size(1), l.weight.size(0));
                adapters.push_back({name, l.loraA, l.loraB, scale, o.dropout});
            }
        });
        model.setLayer(i, std::move(w));
    }
    if (tooWide > 0)
        warnOnce(fmt::format("LoRA rank {} is above the rank of {} of the {} adapted matrices (min(rows, columns), "
                             "as low as {}): those adapters are kept at rank {} but can learn nothing a full-rank "
                             "delta could not, with more parameters",
            o.rank, tooWide, adapters.size(), usefulRank, o.rank));
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

} // namespace moewb
