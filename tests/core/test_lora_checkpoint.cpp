// Fine-tuning checkpoints (core/train/lora_checkpoint.h) carry a checksum over their state and every
// tensor: bytes damaged in the middle of a tensor are refused naming the file (torch archives check no
// CRC, so such a checkpoint resumed silently), leaving the adapters and the optimizer as they were; a
// checkpoint of version 2 (no checksum, the optimizer as a nested archive) still loads.
#include "core/io/error.h"
#include "core/train/lora_checkpoint.h"
#include "support/temp_dir.h"

#include <ATen/CPUGeneratorImpl.h>
#include <doctest/doctest.h>
#include <torch/serialize.h>

#include <cstring>
#include <fstream>
#include <iterator>

using namespace moewb;

namespace {

struct Run {
    std::vector<torch::Tensor> params{torch::linspace(-1, 1, 4096).requires_grad_()};
    torch::optim::AdamW optimizer{params, torch::optim::AdamWOptions(0.1)};
    LoopState s;
    const nlohmann::json id{{"steps", 4}, {"lora_dropout", 0.0}};

    Run()
    {
        params[0].square().sum().backward();
        optimizer.step(); // AdamW now holds state for the parameter
        s.step = 1;
        s.result.losses = {2.5};
        s.best = {torch::arange(4096, torch::kFloat)}; // a tensor whose bytes the test can find
    }
};

std::string readAll(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void writeAll(const std::filesystem::path& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

} // namespace

TEST_CASE("a checkpoint with bytes damaged in the middle of a tensor is refused, naming the file")
{
    test::TempDir dir;
    Run run;
    const auto path = dir.path / "ck.pt";
    saveCheckpoint(path, run.id, run.s, run.params, run.optimizer, torch::kCPU);
    LoopState back;
    loadCheckpoint(path, run.id, back, run.params, run.optimizer, torch::kCPU);
    CHECK(back.step == 1);
    REQUIRE(back.best.size() == 1);
    CHECK(torch::equal(back.best[0], run.s.best[0]));

    // Change 8 bytes of best0 (the floats 2000 and 2001) in the file.
    std::string bytes = readAll(path);
    const auto best = run.s.best[0].contiguous();
    const std::string needle(static_cast<const char*>(best.data_ptr()) + 2000 * 4, 64);
    const size_t at = bytes.find(needle);
    REQUIRE(at != std::string::npos);
    for (size_t i = 0; i < 8; ++i)
        bytes[at + i] = static_cast<char>(~bytes[at + i]);
    writeAll(path, bytes);
    run.params[0].detach().fill_(7.0);
    LoopState untouched;
    untouched.step = 9;
    CHECK_THROWS_WITH_AS(loadCheckpoint(path, run.id, untouched, run.params, run.optimizer, torch::kCPU),
                         doctest::Contains("ck.pt: the checkpoint is damaged (its contents do not match the checksum"),
                         Error);
    CHECK(untouched.step == 9);
    CHECK(torch::equal(run.params[0].detach(), torch::full({4096}, 7.0)));
}

TEST_CASE("a checkpoint of version 2 (no checksum, the optimizer as a nested archive) still loads")
{
    test::TempDir dir;
    Run run;
    nlohmann::json state = checkpointState(run.id, run.s);
    state["version"] = 2;
    const std::string text = state.dump();
    auto stateBytes = torch::empty({static_cast<int64_t>(text.size())}, torch::kUInt8);
    std::memcpy(stateBytes.data_ptr(), text.data(), text.size());
    torch::serialize::OutputArchive archive, optim;
    archive.write("state", stateBytes);
    archive.write("param0", run.params[0].detach());
    archive.write("best0", run.s.best[0]);
    archive.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
    run.optimizer.save(optim);
    archive.write("optimizer", optim);
    const auto path = dir.path / "v2.pt";
    archive.save_to(path.string());

    const auto saved = run.params[0].detach().clone();
    run.params[0].detach().fill_(7.0);
    LoopState back;
    loadCheckpoint(path, run.id, back, run.params, run.optimizer, torch::kCPU);
    CHECK(back.step == 1);
    CHECK(back.result.losses == std::vector<double>{2.5});
    CHECK(torch::equal(run.params[0].detach(), saved));
    CHECK(isFinetuneCheckpoint(path));
}
