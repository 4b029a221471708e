// Runtime start-up: thread count reaches LibTorch; devices list is well-formed; LibTorch errors for people.
#include "core/util/runtime.h"
#include "core/util/torch_errors.h"

#include <doctest/doctest.h>
#include <torch/types.h>
#include <torch/utils.h>

TEST_CASE("initRuntime sets LibTorch's intra-op threads")
{
    auto info = moewb::initRuntime(1);
    CHECK(info.threads == 1);
    CHECK(torch::get_num_threads() == 1);
    info = moewb::initRuntime(0);
    CHECK(info.threads >= 1);
    CHECK(torch::get_num_threads() == info.threads);
    CHECK_FALSE(info.torchVersion.empty());
}

TEST_CASE("availableDevices starts with the CPU and names CUDA devices as cuda:N")
{
    auto devices = moewb::availableDevices();
    REQUIRE_FALSE(devices.empty());
    CHECK(devices.front() == "cpu");
    for (size_t i = 1; i < devices.size(); ++i)
        CHECK(devices[i] == "cuda:" + std::to_string(i - 1));
}

TEST_CASE("LibTorch errors read without their backtrace; a failed allocation says what was asked")
{
    try {
        // 2^48 floats: 1 PiB, more than any address space holds, so the allocation fails at once.
        auto t = torch::empty({int64_t{1} << 48}, torch::kFloat);
        FAIL("the allocation succeeded");
    } catch (const std::exception& e) {
        CHECK(moewb::isOutOfMemory(e));
        CHECK(moewb::errorMessage(e) == "out of memory: 1048576.0 GiB were asked for at once");
    }
    try {
        torch::ones({2}).view({3});
        FAIL("the view succeeded");
    } catch (const std::exception& e) {
        CHECK_FALSE(moewb::isOutOfMemory(e));
        const std::string message = moewb::errorMessage(e);
        CHECK(message.find("shape '[3]' is invalid for input of size 2") != std::string::npos);
        CHECK(message.find("frame #") == std::string::npos);
    }
    const std::runtime_error plain("plain");
    CHECK(moewb::errorMessage(plain) == "plain");
    CHECK_FALSE(moewb::isOutOfMemory(plain));
}
