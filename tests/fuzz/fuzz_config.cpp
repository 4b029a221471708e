// libFuzzer target: config.json bytes -> ModelSpec. Anything but moewb::Error escaping, a sanitizer
// report, or a broken invariant below is a bug. Specs that parse also go through parameter counting,
// the expected-tensor list and validation of a catalog made from that list (which must pass).
//
//   cmake --preset fuzz && cmake --build build/fuzz --target fuzz_config
//   build/fuzz/tests/fuzz/fuzz_config -dict=tests/fuzz/config.dict -artifact_prefix=fuzz-artifacts/ \
//       fuzz-corpus-config/ tests/fuzz/corpus/config tests/data/configs/*/
//
// Crashing inputs go to tests/data/fuzz-regressions/config/ once fixed; test_model_spec replays them.
#include "core/io/error.h"
#include "core/io/model_spec.h"
#include "core/io/param_count.h"
#include "core/io/tensor_layout.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace moewb;

namespace {

void require(bool condition, const char* what)
{
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

void checkInvariants(const ModelSpec& spec)
{
    require(spec.numLayers >= 1 && spec.layers.size() == static_cast<size_t>(spec.numLayers), "layer count");
    require(spec.hiddenSize >= 1 && spec.vocabSize >= 1, "sizes");
    for (const auto& l : spec.layers) {
        if (l.kind == LayerKind::Moe)
            require(l.numExperts >= 1 && l.topK >= 1 && l.topK <= l.numExperts && l.expertWidth >= 1,
                "moe layer");
        else
            require(l.intermediateSize >= 1, "dense layer");
        require(l.shared.count == 0 || l.shared.intermediateSize >= 1, "shared expert");
    }
    const auto& a = spec.attention;
    require(a.numHeads >= 1 && a.numKvHeads >= 1 && a.headDim >= 1, "attention");
    if (a.kind == AttentionKind::Gqa) {
        require(a.numHeads % a.numKvHeads == 0, "kv groups");
        require(spec.rope.rotaryDim >= 2 && spec.rope.rotaryDim % 2 == 0 && spec.rope.rotaryDim <= a.headDim,
            "rotary");
    } else {
        require(spec.rope.rotaryDim == a.qkRopeHeadDim && a.qkRopeHeadDim % 2 == 0, "mla rotary");
    }
    require(spec.rope.theta > 0 && spec.rope.factor > 0 && spec.rmsNormEps > 0, "positive reals");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const ModelSpec spec = parseModelSpecText(text, "fuzz/config.json");
        checkInvariants(spec);
        const ParameterCounts counts = countParameters(spec);
        require(counts.byComponent.sum() == counts.total && counts.activeByComponent.sum() == counts.active,
            "component sums");
        require(counts.active <= counts.total, "active <= total");

        // The per-expert list can legally hold millions of names; walk it only for small configs (the
        // published ones, up to 18k expert tensors, take seconds under ASan and add no coverage).
        uint64_t expertTensors = 0;
        for (const auto& l : spec.layers)
            expertTensors += l.kind == LayerKind::Moe ? 3u * static_cast<uint64_t>(l.numExperts) : 0u;
        if (expertTensors > 2000)
            return 0;
        for (auto layout : {ExpertLayout::PerExpert, ExpertLayout::FusedV5}) {
            TensorCatalog catalog;
            catalog.source = "fuzz/model.safetensors";
            const auto expected = expectedTensors(spec, layout);
            for (const auto& t : expected)
                catalog.tensors[t.name] = CatalogTensor{t.shape, DType::BF16, 0, "fuzz/model.safetensors"};
            require(catalog.tensors.size() == expected.size(), "unique tensor names");
            const auto result = validateCheckpoint(spec, catalog); // its own tensors must validate
            require(result.layout == layout || spec.numMoeLayers() == 0, "layout detected");
            require(result.warnings.empty(), "no warnings for exactly the expected tensors");
        }
    } catch (const Error&) {
        // Rejected with a message: the expected outcome for most inputs.
    }
    return 0;
}
