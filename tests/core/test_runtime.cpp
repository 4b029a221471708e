// Runtime start-up: thread count reaches LibTorch; devices list is well-formed.
#include "core/util/runtime.h"

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
