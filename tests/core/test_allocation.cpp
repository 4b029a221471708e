// Per-layer pruning counts, checked against hand-computed cases (methods.md §1.2).
#include "core/analysis/allocation.h"
#include "core/io/error.h"

#include <doctest/doctest.h>

using namespace moewb;

TEST_CASE("counts follow inverse importance with the remainder by fractional part")
{
    // P = round(0.25 * 24) = 6; w = [1, 1/2, 1/4] / 1.75; raw = [3.43, 1.71, 0.86] -> floor [3, 1, 0],
    // remainder 2 to the largest fractions (0.86, then 0.71) -> [3, 2, 1].
    AllocationInput in{{1.0, 2.0, 4.0}, {8, 8, 8}, {2, 2, 2}, 0.25, {}, 0.0};
    auto a = allocatePruningCounts(in);
    CHECK(a.requested == 6);
    CHECK(a.counts == std::vector<int>{3, 2, 1});
    CHECK(a.allocated == 6);
}

TEST_CASE("a layer keeps at least top-k experts; capped surplus goes to the others in rounds")
{
    // P = round(0.5 * 12) = 6, caps E - k = 2. raw = [5.88, 0.06, 0.06] -> [2 (capped), 0, 0], then
    // the remainder 4 goes round by round to the layers below their cap -> [2, 2, 2].
    AllocationInput in{{1.0, 100.0, 100.0}, {4, 4, 4}, {2, 2, 2}, 0.5, {}, 0.0};
    auto a = allocatePruningCounts(in);
    CHECK(a.counts == std::vector<int>{2, 2, 2});
    CHECK(a.allocated == 6);
}

TEST_CASE("more than the caps allow: allocated falls short and says so")
{
    AllocationInput in{{1.0, 1.0}, {4, 4}, {3, 3}, 0.75, {}, 0.0};
    auto a = allocatePruningCounts(in);
    CHECK(a.requested == 6);
    CHECK(a.counts == std::vector<int>{1, 1});
    CHECK(a.allocated == 2);
}

TEST_CASE("overrides are kept and the rest of the budget goes to the other layers")
{
    // P = 6; layer 0 fixed at 0; the free budget 6 splits over w = [1/2, 1/4] -> raw [4, 2].
    AllocationInput in{{1.0, 2.0, 4.0}, {8, 8, 8}, {2, 2, 2}, 0.25, {{0, 0}}, 0.0};
    auto a = allocatePruningCounts(in);
    CHECK(a.counts == std::vector<int>{0, 4, 2});
    // An override beyond E - k is refused with the layer named.
    in.overrides = {{1, 7}};
    CHECK_THROWS_WITH_AS(allocatePruningCounts(in), doctest::Contains("MoE layer 1"), moewb::Error);
    in.overrides = {};
    in.ratio = 1.0;
    CHECK_THROWS_AS(allocatePruningCounts(in), moewb::Error);
}
