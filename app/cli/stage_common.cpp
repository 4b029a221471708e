// Shared pieces of the stage commands (stage_common.h).
#include "app/cli/stage_common.h"

#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/residency.h"
#include "core/util/runtime.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace moewb::cli {

namespace fs = std::filesystem;

torch::ScalarType parseComputeDtype(const std::string& name)
{
    if (name == "fp64")
        return torch::kDouble;
    if (name == "bf16")
        return torch::kBFloat16;
    if (name == "fp32")
        return torch::kFloat;
    fail("unknown compute dtype '{}' (fp32, fp64 or bf16)", name);
}

torch::Device parseDevice(const std::string& name)
{
    const bool cudaIndex = name.size() > 5 && name.starts_with("cuda:") && name.size() <= 8
        && std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (name != "cpu" && name != "cuda" && !cudaIndex)
        fail("--device: unknown device '{}' (use cpu, cuda or cuda:N)", name);
    const auto devices = availableDevices();
    const std::string normalised = name == "cuda" ? "cuda:0" : name;
    if (std::find(devices.begin(), devices.end(), normalised) == devices.end())
        fail("--device {}: not available here (available: {})", name, fmt::join(devices, ", "));
    return torch::Device(normalised);
}

std::unique_ptr<MoeModel> openComputeModel(const std::string& path, torch::ScalarType dtype, const torch::Device& device)
{
    return openModel(path, ComputeOptions{dtype, device});
}

Session openOrCreateSession(const std::string& path)
{
    std::error_code ec;
    Session session = fs::exists(path, ec) ? Session::open(path) : Session();
    Session::requireSavable(path); // the command stores its work there: fail before it, not after
    return session;
}

TokenBlocks loadCalibrationBlocks(const CalibrationRequest& r, const Session& session, const ModelSpec& spec,
                                  const std::string& command)
{
    fs::path path = r.calib;
    BlockOptions bo{r.samples, r.sequenceLength, BlockSelection::Random, r.seed};
    const CalibrationSettings* recorded = nullptr;
    if (path.empty()) {
        if (!session.calibration())
            fail("{}: the session holds no calibration settings; pass --calib FILE", command);
        recorded = &*session.calibration();
        path = recorded->dataPath;
        bo = BlockOptions{recorded->samples, recorded->sequenceLength, BlockSelection::Random, recorded->seed};
        std::error_code ec;
        if (!fs::exists(path, ec))
            fail("{}: the session's calibration file {} is gone; pass --calib FILE", command, path.string());
    }
    if (spec.maxPositionEmbeddings > 0 && bo.blockLength > spec.maxPositionEmbeddings)
        fail("{}: --seq-len {} is longer than the model's {} positions (max_position_embeddings)", command,
             bo.blockLength, spec.maxPositionEmbeddings);
    TokenBlocks blocks;
    if (path.extension() == ".ids") {
        blocks = loadTokenIdBlocks(path, bo, spec.vocabSize);
    } else {
        const fs::path tok = r.tokenizer.empty() ? fs::path(r.model) / "tokenizer.json" : fs::path(r.tokenizer);
        std::error_code ec;
        if (!r.tokenizer.empty() && !fs::is_regular_file(tok, ec))
            fail("{}: --tokenizer {}: no such file", command, tok.string());
        if (!fs::exists(tok, ec))
            fail("{}: no tokenizer.json in the model folder; pass --tokenizer FILE (or token ids in a .ids file)", r.model);
        blocks = loadTextBlocks(path, Tokenizer::fromFile(tok), bo);
    }
    // The session's own calibration must still give the blocks it was calibrated on (the file may have
    // been edited, or a relative path recorded by an older version may now name another file).
    if (recorded && !recorded->dataHash.empty() && blocks.dataHash != recorded->dataHash)
        fail("{}: the session's calibration file {} no longer gives the data the session was calibrated on (edited "
             "or another file); pass --calib FILE to calibrate again",
             command, path.string());
    return blocks;
}

const Plan& sessionPlan(const Session& session, const std::string& name, const std::string& sessionPath)
{
    const auto& plans = session.plans();
    if (auto it = plans.find(name); it != plans.end())
        return it->second.plan;
    std::vector<std::string> names;
    for (const auto& [n, p] : plans)
        names.push_back("'" + n + "'");
    fail("{}: no plan named '{}' (the session holds {})", sessionPath, name,
         names.empty() ? std::string("no plans") : fmt::format("{}", fmt::join(names, ", ")));
}

std::string sessionModelPath(const Session& session, const std::string& override, const std::string& sessionPath,
                             const std::string& command)
{
    if (!override.empty())
        return override;
    const auto& source = session.source();
    if (!source)
        fail("{}: {} names no source model; pass --model DIR", command, sessionPath);
    std::error_code ec;
    if (!std::filesystem::exists(source->path / "config.json", ec))
        fail("{}: the model folder {} that {} names is not there (moved, or recorded relative to another "
             "folder); pass --model DIR",
             command, source->path.string(), sessionPath);
    return source->path.string();
}

void requireSessionModel(const Session& session, const MoeModel& model)
{
    session.requireModel(model.checkpoint().identityHash(), model.path());
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace moewb::cli
