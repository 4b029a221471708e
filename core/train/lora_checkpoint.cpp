// Checkpoints of the LoRA training loop (lora_checkpoint.h).
#include "core/train/lora_checkpoint.h"

#include "core/io/atomic_file.h"
#include "core/io/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>

#include <cmath>
#include <cstring>
#include <sstream>

namespace moewb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "moewb-lora-checkpoint";

torch::Tensor bytesTensor(const std::string& text)
{
    auto t = torch::empty({static_cast<int64_t>(text.size())}, torch::kUInt8);
    std::memcpy(t.data_ptr(), text.data(), text.size());
    return t;
}

std::string tensorBytes(const torch::Tensor& t)
{
    const auto c = t.contiguous();
    return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

// torch's default generator on `device` (the current GPU for "cuda" without an index).
at::Generator deviceGenerator(const torch::Device& device)
{
    return at::globalContext().defaultGenerator(device);
}

} // namespace

nlohmann::json checkpointState(const nlohmann::json& id, const LoopState& s)
{
    nlohmann::json heldOut = nlohmann::json::array();
    for (const auto& [step, ppl] : s.result.heldOut)
        heldOut.push_back({step, ppl});
    // held_out_objective, held_out_kl and best_objective came with early stopping on the held-out
    // distillation objective; a distillation checkpoint without them is refused (restoreProgress).
    return {{"format", kFormat}, {"version", 2}, {"identity", id}, {"step", s.step},
            {"since_best", s.sinceBest}, {"stopped", s.stopped}, {"losses", s.result.losses},
            {"held_out", heldOut}, {"held_out_objective", s.result.heldOutObjective},
            {"held_out_kl", s.result.heldOutKl}, {"best_step", s.result.bestStep},
            {"best_perplexity", s.result.bestPerplexity}, {"best_objective", s.result.bestObjective},
            {"early_stopped", s.result.earlyStopped}, {"seconds", s.result.seconds}, {"best", s.best.size()}};
}

void restoreProgress(const nlohmann::json& state, const nlohmann::json& id, const fs::path& path, LoopState& s)
{
    if (!state.is_object() || state.value("format", "") != kFormat)
        fail("{}: not a fine-tuning checkpoint", path.string());
    // Version 1 identities had no lora_dropout: such a checkpoint resumes with any dropout, as it did.
    nlohmann::json expected = id;
    if (state.value("version", 1) < 2)
        expected.erase("lora_dropout");
    if (state.at("identity") != expected)
        fail("{}: was written by a fine-tuning run with other settings, adapters or data; remove it or start "
             "without --resume",
             path.string());
    s.step = state.at("step").get<int64_t>();
    s.sinceBest = state.at("since_best").get<int>();
    s.stopped = state.at("stopped").get<bool>();
    s.result.losses = state.at("losses").get<std::vector<double>>();
    s.result.heldOut.clear();
    for (const auto& h : state.at("held_out"))
        s.result.heldOut.emplace_back(h.at(0).get<int64_t>(), h.at(1).get<double>());
    s.result.bestStep = state.at("best_step").get<int64_t>();
    s.result.bestPerplexity = state.at("best_perplexity").get<double>();
    if (state.contains("best_objective")) {
        s.result.heldOutObjective = state.at("held_out_objective").get<std::vector<double>>();
        s.result.heldOutKl = state.at("held_out_kl").get<std::vector<double>>();
        s.result.bestObjective = state.at("best_objective").get<double>();
    } else if (id.contains("objective") && !s.result.heldOut.empty()) {
        fail("{}: a distillation checkpoint written before held-out evaluation measured the distillation objective "
             "(its best step was picked by perplexity); remove it or start without --resume",
             path.string());
    } else { // an older LM checkpoint: its criterion, perplexity, is unchanged
        s.result.heldOutObjective.clear();
        s.result.heldOutKl.clear();
        for (const auto& h : s.result.heldOut)
            s.result.heldOutObjective.push_back(std::log(h.second));
        s.result.bestObjective = std::log(s.result.bestPerplexity);
    }
    s.result.earlyStopped = state.at("early_stopped").get<bool>();
    s.result.seconds = state.at("seconds").get<double>();
    s.result.steps = s.step;
    s.result.resumedFromStep = s.step;
}

bool isFinetuneCheckpoint(const fs::path& path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return false;
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path.string(), torch::kCPU);
        torch::Tensor raw;
        if (!archive.try_read("state", raw))
            return false;
        const auto state = nlohmann::json::parse(tensorBytes(raw.cpu()));
        return state.is_object() && state.value("format", "") == kFormat;
    } catch (const std::exception&) { // c10::Error (not a torch archive), JSON errors
        return false;
    }
}

void saveCheckpoint(const fs::path& path, const nlohmann::json& id, const LoopState& s,
                    const std::vector<torch::Tensor>& params, const torch::optim::AdamW& optimizer,
                    const torch::Device& device)
{
    torch::serialize::OutputArchive archive;
    archive.write("state", bytesTensor(checkpointState(id, s).dump()));
    for (size_t i = 0; i < params.size(); ++i)
        archive.write("param" + std::to_string(i), params[i].detach());
    for (size_t i = 0; i < s.best.size(); ++i)
        archive.write("best" + std::to_string(i), s.best[i]);
    archive.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
    if (!device.is_cpu()) // dropout on a GPU draws from that device's generator
        archive.write("device_rng", deviceGenerator(device).get_state());
    torch::serialize::OutputArchive optim;
    optimizer.save(optim);
    archive.write("optimizer", optim);
    std::ostringstream bytes;
    archive.save_to(bytes);
    if (!path.parent_path().empty())
        fs::create_directories(path.parent_path());
    AtomicFile file(path);
    file.write(bytes.str());
    file.commit();
}

void loadCheckpoint(const fs::path& path, const nlohmann::json& id, LoopState& s, std::vector<torch::Tensor>& params,
                    torch::optim::AdamW& optimizer, const torch::Device& device)
{
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path.string(), device); // adapters, best adapters and AdamW state on the model's device
    } catch (const c10::Error& e) {
        fail("{}: not a fine-tuning checkpoint ({})", path.string(), e.what_without_backtrace());
    }
    torch::Tensor raw;
    archive.read("state", raw);
    nlohmann::json state;
    try {
        state = nlohmann::json::parse(tensorBytes(raw.cpu()));
    } catch (const nlohmann::json::exception&) {
        fail("{}: not a fine-tuning checkpoint (its state is not JSON)", path.string());
    }
    // The progress first: a refused checkpoint leaves the adapters, the optimizer and `s` untouched.
    LoopState restored;
    restoreProgress(state, id, path, restored);
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params.size(); ++i) {
        torch::Tensor t;
        archive.read("param" + std::to_string(i), t);
        params[i].copy_(t);
    }
    for (size_t i = 0; i < state.at("best").get<size_t>(); ++i) {
        torch::Tensor t;
        archive.read("best" + std::to_string(i), t);
        restored.best.push_back(t);
    }
    torch::Tensor rng;
    archive.read("torch_rng", rng);
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(rng.cpu());
    if (torch::Tensor deviceRng; !device.is_cpu() && archive.try_read("device_rng", deviceRng))
        deviceGenerator(device).set_state(deviceRng.cpu());
    torch::serialize::InputArchive optim;
    archive.read("optimizer", optim);
    optimizer.load(optim);
    s = std::move(restored);
}

} // namespace moewb
