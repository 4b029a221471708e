// Parameter counts against the figures the model authors published.
//
// Published figures (model cards / papers, checked with the search tool): Mixtral-8x7B 46.7B total,
// 12.9B active; Qwen1.5-MoE-A2.7B 14.3B / 2.7B; Qwen3-30B-A3B 30.5B / 3.3B; OLMoE-1B-7B 6.9B / 1.3B;
// DeepSeek-V2-Lite 15.7B / 2.4B; DeepSeekMoE-16B 16.4B / 2.8B.
//
// Every total is reproduced within 1%. Active figures are published with two significant digits, so
// their own rounding is worth 1.5-4%; they are checked two ways: within 2.5%, and the computed value
// rounded or truncated to 0.1B gives the published figure. DeepSeek-V2 counts active parameters without
// the input embedding (with it V2-Lite would be 2.66B, not 2.4B).
#include "core/io/model_spec.h"
#include "core/io/param_count.h"
#include "support/paths.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace moewb;

namespace {

ModelSpec load(const std::string& model)
{
    return loadModelSpec(test::dataDir() / "configs" / model / "config.json");
}

double billions(uint64_t n)
{
    return static_cast<double>(n) / 1e9;
}

bool matchesPublishedDigits(double computed, double published)
{
    const double rounded = std::round(computed * 10.0) / 10.0;
    const double truncated = std::floor(computed * 10.0) / 10.0;
    return std::abs(rounded - published) < 1e-9 || std::abs(truncated - published) < 1e-9;
}

} // namespace

TEST_CASE("parameter counts reproduce the published figures")
{
    struct Case {
        const char* dir;
        double total, active;
        bool activeWithoutInputEmbedding; // DeepSeek-V2's convention
    };
    const Case cases[] = {
        {"mixtral-8x7b", 46.7, 12.9, false},
        {"qwen1.5-moe-a2.7b", 14.3, 2.7, false},
        {"qwen3-30b-a3b", 30.5, 3.3, false},
        {"olmoe-1b-7b", 6.9, 1.3, false},
        {"deepseek-v2-lite", 15.7, 2.4, true},
        {"deepseek-moe-16b", 16.4, 2.8, false},
    };
    for (const auto& c : cases) {
        const std::string name = c.dir;
        CAPTURE(name);
        const ModelSpec spec = load(c.dir);
        const ParameterCounts p = countParameters(spec);
        const double total = billions(p.total);
        const double active
            = billions(c.activeWithoutInputEmbedding ? p.activeNonEmbedding + p.byComponent[Component::LmHead]
                                                     : p.active);
        MESSAGE(name << ": total " << total << "B (published " << c.total << "B), active " << active
                     << "B (published " << c.active << "B)");
        CHECK(std::abs(total - c.total) / c.total <= 0.01);
        CHECK(std::abs(active - c.active) / c.active <= 0.025);
        CHECK(matchesPublishedDigits(active, c.active));
        CHECK(matchesPublishedDigits(total, c.total));
    }
}

TEST_CASE("parameter counts: exact values and breakdown")
{
    // Mixtral-8x7B by hand: 32 layers x (attention 4096*(4096+1024+1024) + 4096*4096, experts
    // 8*3*4096*14336, router 8*4096, two norms) + embedding and lm_head 32000*4096 + final norm.
    const ParameterCounts p = countParameters(load("mixtral-8x7b"));
    const uint64_t attention = 32ull * (4096ull * 6144 + 4096ull * 4096);
    const uint64_t experts = 32ull * 8 * 3 * 4096 * 14336;
    const uint64_t routers = 32ull * 8 * 4096;
    const uint64_t norms = 32ull * 2 * 4096 + 4096;
    const uint64_t embedding = 32000ull * 4096;
    CHECK(p.byComponent[Component::Attention] == attention);
    CHECK(p.byComponent[Component::RoutedExperts] == experts);
    CHECK(p.byComponent[Component::Router] == routers);
    CHECK(p.byComponent[Component::Norms] == norms);
    CHECK(p.byComponent[Component::Embedding] == embedding);
    CHECK(p.byComponent[Component::LmHead] == embedding);
    CHECK(p.total == attention + experts + routers + norms + 2 * embedding);
    CHECK(p.activeByComponent[Component::RoutedExperts] == experts / 4);
    CHECK(p.byComponent.sum() == p.total);
    CHECK(p.activeByComponent.sum() == p.active);
    CHECK(p.totalNonEmbedding == p.total - 2 * embedding);
    CHECK(p.bytes(DType::BF16) == 2 * p.total);
    CHECK(p.bytes(DType::F32) == 4 * p.total);

    const ParameterCounts q = countParameters(load("qwen1.5-moe-a2.7b"));
    CHECK(q.byComponent[Component::SharedExperts] == 24ull * (3ull * 2048 * 5632 + 2048));
    CHECK(q.activeByComponent[Component::SharedExperts] == q.byComponent[Component::SharedExperts]);
    const ParameterCounts d = countParameters(load("deepseek-v2-lite"));
    CHECK(d.byComponent[Component::DenseMlp] == 3ull * 2048 * 10944);
}

TEST_CASE("parameter counts agree with the expected tensor list")
{
    for (const char* dir : {"mixtral-8x7b", "qwen1.5-moe-a2.7b", "qwen3-30b-a3b", "olmoe-1b-7b",
             "deepseek-v2-lite", "deepseek-moe-16b"}) {
        const std::string name = dir;
        CAPTURE(name);
        ModelSpec spec = load(dir);
        for (bool tied : {false, true}) {
            spec.tieWordEmbeddings = tied;
            uint64_t sum = 0;
            for (const auto& t : expectedTensors(spec, ExpertLayout::PerExpert))
                if (!t.optional)
                    sum += t.numel();
            CHECK(countParameters(spec).total == sum);
        }
    }
}
