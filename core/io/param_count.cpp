#include "core/io/param_count.h"

#include "core/io/error.h"

namespace moewb {

uint64_t ComponentCounts::sum() const
{
    uint64_t s = 0;
    for (auto v : values)
        s += v;
    return s;
}

namespace {

void addChecked(uint64_t& into, unsigned __int128 value)
{
    const unsigned __int128 sum = static_cast<unsigned __int128>(into) + value;
    if (sum > static_cast<unsigned __int128>(UINT64_MAX))
        throw Error("parameter count does not fit in 64 bits (is the config plausible?)");
    into = static_cast<uint64_t>(sum);
}

} // namespace

ParameterCounts countParameters(const ModelSpec& spec)
{
    // The fused expert layout lists each MoE layer's experts as two tensors, so the shapes come from
    // the same code that validates checkpoints without enumerating every expert.
    ParameterCounts counts;
    for (const auto& t : expectedTensors(spec, ExpertLayout::FusedV5)) {
        if (t.optional) // lm_head of a tied model: the embedding's storage
            continue;
        unsigned __int128 numel = 1;
        for (auto d : t.shape)
            numel *= static_cast<unsigned __int128>(d); // dims < 2^40, rank <= 3: no overflow
        unsigned __int128 active = numel;
        if (t.component == Component::RoutedExperts) {
            // top-k of E experts per token. Factored experts (extended format) differ in size, so
            // their share is the layer average; a condensed layer runs every kept expert.
            const auto& layer = spec.layers[static_cast<size_t>(t.layer)];
            if (!layer.condensed)
                active = numel * static_cast<unsigned>(layer.topK) / static_cast<unsigned>(layer.numExperts);
        }
        addChecked(counts.byComponent[t.component], numel);
        addChecked(counts.activeByComponent[t.component], active);
        addChecked(counts.total, numel);
        addChecked(counts.active, active);
        if (t.component != Component::Embedding && t.component != Component::LmHead) {
            addChecked(counts.totalNonEmbedding, numel);
            addChecked(counts.activeNonEmbedding, active);
        }
    }
    return counts;
}

} // namespace moewb
