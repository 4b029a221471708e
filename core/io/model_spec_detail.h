// Internals of config.json parsing shared by model_spec*.cpp and tensor_layout.cpp (not installed API).
#pragma once
#include "core/io/model_spec.h"

namespace moewb {
class ConfigReader;
}

namespace moewb::detail {

// Upper bounds far above any published model; they keep every derived product (parameter counts,
// tensor sizes) inside 64 bits and reject absurd values with a message instead of an allocation.
constexpr long long kMaxWidth = 1LL << 22; // hidden, intermediate, head and LoRA widths
constexpr long long kMaxVocab = 1LL << 24;
constexpr long long kMaxLayers = 1LL << 14;
constexpr long long kMaxExperts = 1LL << 16;
constexpr long long kMaxHeads = 1LL << 16;

// Defaults of optional fields, from each architecture's reference configuration class.
struct ArchDefaults {
    int maxPositionEmbeddings;
    double rmsNormEps;
    double ropeTheta;
    int numKvHeads; // 0: same as num_attention_heads
    int denseIntermediate;
};
ArchDefaults archDefaults(Architecture arch);

// config.json field names per architecture, for messages that tell the user what to edit.
struct FieldNames {
    const char* experts;
    const char* topK = "num_experts_per_tok";
    const char* expertWidth;
    const char* denseWidth = "intermediate_size";
    const char* sharedWidth; // nullptr: no shared expert
};
FieldNames fieldNames(Architecture arch);

void parseAttention(ModelSpec& spec, const ConfigReader& r);
void parseRope(ModelSpec& spec, const ConfigReader& r); // after parseAttention (needs head sizes)
void parseMoe(ModelSpec& spec, const ConfigReader& r);
// A config carrying kCompressionKey (model_spec_extended.cpp): parses the source architecture's
// config, then applies the per-layer description.
ModelSpec parseExtended(const nlohmann::json& config, const std::string& source);

} // namespace moewb::detail
