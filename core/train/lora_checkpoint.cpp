// Checkpoints of the LoRA training loop (lora_checkpoint.h).
#include "core/train/lora_checkpoint.h"

#include "core/calib/dataset.h"
#include "core/io/atomic_file.h"
#include "core/io/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>

#include <cmath>
#include <cstring>
#include <map>
#include <sstream>

namespace moewb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "moewb-lora-checkpoint";
// 3: a checksum over the state and every tensor (torch archives check no CRC: damaged bytes in the
// middle resumed silently), the optimizer stored as the bytes of its own archive so the checksum
// covers it. 2: the LoRA dropout in the identity. Older versions still load, unchecked.
constexpr int kVersion = 3;

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

// FNV-1a 64 over the state's bytes, then each tensor's name, dtype, shape and bytes, in the order the
// state's "tensors" lists them.
class Checksum {
public:
    explicit Checksum(const std::string& state) { m_hash.add(state); }
    void add(const std::string& name, const torch::Tensor& t)
    {
        const auto c = t.detach().cpu().contiguous();
        m_hash.add(name);
        m_hash.addU64(static_cast<uint64_t>(c.scalar_type()));
        m_hash.addU64(static_cast<uint64_t>(c.dim()));
        for (const auto size : c.sizes())
            m_hash.addU64(static_cast<uint64_t>(size));
        m_hash.add(std::span(static_cast<const std::byte*>(c.data_ptr()), c.nbytes()));
    }
    std::string hex() const { return m_hash.hex(); }

private:
    Fnv1a64Hash m_hash;
};

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
    return {{"format", kFormat}, {"version", kVersion}, {"identity", id}, {"step", s.step},
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
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (size_t i = 0; i < params.size(); ++i)
        tensors.emplace_back("param" + std::to_string(i), params[i].detach());
    for (size_t i = 0; i < s.best.size(); ++i)
        tensors.emplace_back("best" + std::to_string(i), s.best[i]);
    tensors.emplace_back("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
    if (!device.is_cpu()) // dropout on a GPU draws from that device's generator
        tensors.emplace_back("device_rng", deviceGenerator(device).get_state());
    torch::serialize::OutputArchive optim;
    optimizer.save(optim);
    std::ostringstream optimBytes;
    optim.save_to(optimBytes);
    tensors.emplace_back("optimizer_bytes", bytesTensor(optimBytes.str()));

    nlohmann::json state = checkpointState(id, s);
    state["tensors"] = nlohmann::json::array();
    for (const auto& [name, t] : tensors)
        state["tensors"].push_back(name);
    const std::string stateText = state.dump();
    Checksum checksum(stateText);
    torch::serialize::OutputArchive archive;
    archive.write("state", bytesTensor(stateText));
    for (const auto& [name, t] : tensors) {
        archive.write(name, t);
        checksum.add(name, t);
    }
    archive.write("checksum", bytesTensor(checksum.hex()));
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
    const auto damaged = [&](const std::string& what) {
        fail("{}: the checkpoint is damaged ({}); remove it or start without --resume", path.string(), what);
    };
    torch::Tensor raw;
    if (!archive.try_read("state", raw))
        fail("{}: not a fine-tuning checkpoint (no state)", path.string());
    const std::string stateText = tensorBytes(raw.cpu());
    nlohmann::json state;
    try {
        state = nlohmann::json::parse(stateText);
    } catch (const nlohmann::json::exception&) {
        if (torch::Tensor sum; archive.try_read("checksum", sum))
            damaged("its state is not JSON");
        fail("{}: not a fine-tuning checkpoint (its state is not JSON)", path.string());
    }
    // Version 3 and later: every tensor is read and checked against the checksum first.
    std::map<std::string, torch::Tensor> tensors;
    const bool checked = state.is_object() && state.value("format", "") == kFormat && state.value("version", 1) >= 3;
    if (checked) {
        torch::Tensor stored;
        if (!state.contains("tensors") || !state.at("tensors").is_array() || !archive.try_read("checksum", stored))
            damaged("no checksum");
        Checksum checksum(stateText);
        for (const auto& name : state.at("tensors")) {
            torch::Tensor t;
            try {
                if (!name.is_string() || !archive.try_read(name.get<std::string>(), t))
                    damaged(fmt::format("tensor {} is missing", name.dump()));
            } catch (const c10::Error& e) {
                damaged(fmt::format("tensor {}: {}", name.dump(), e.what_without_backtrace()));
            }
            checksum.add(name.get<std::string>(), t);
            tensors[name.get<std::string>()] = t;
        }
        if (checksum.hex() != tensorBytes(stored.cpu()))
            damaged("its contents do not match the checksum written with them");
    }
    const auto read = [&](const std::string& name) {
        if (checked) {
            const auto it = tensors.find(name);
            if (it == tensors.end())
                damaged(fmt::format("no tensor \"{}\"", name));
            return it->second;
        }
        torch::Tensor t;
        archive.read(name, t);
        return t;
    };
    // The progress first: a refused checkpoint leaves the adapters, the optimizer and `s` untouched.
    LoopState restored;
    restoreProgress(state, id, path, restored);
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params.size(); ++i)
        params[i].copy_(read("param" + std::to_string(i)));
    for (size_t i = 0; i < state.at("best").get<size_t>(); ++i)
        restored.best.push_back(read("best" + std::to_string(i)));
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(read("torch_rng").cpu());
    if (torch::Tensor deviceRng; !device.is_cpu()) {
        if (checked ? tensors.count("device_rng") > 0 : archive.try_read("device_rng", deviceRng))
            deviceGenerator(device).set_state((checked ? tensors.at("device_rng") : deviceRng).cpu());
    }
    torch::serialize::InputArchive optim;
    if (checked) {
        const std::string bytes = tensorBytes(read("optimizer_bytes").cpu());
        optim.load_from(bytes.data(), bytes.size(), device);
    } else {
        archive.read("optimizer", optim);
    }
    optimizer.load(optim);
    s = std::move(restored);
}

} // namespace moewb
