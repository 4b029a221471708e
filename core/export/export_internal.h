// Internals shared by core/export/*.cpp (not installed API).
#pragma once
#include "core/export/export.h"

#include <filesystem>
#include <string>
#include <vector>

namespace moewb::detail {

std::vector<std::string> expertCountFields(Architecture arch); // config spellings, own name first
std::string dtypeConfigName(DType dtype); // "bfloat16", "float16", "float32"
bool hasStockTransformersClass(Architecture arch);
bool pathInside(const std::filesystem::path& inner, const std::filesystem::path& outer); // or equal
std::filesystem::path sourceFolder(const MoeModel& model);
// Throws moewb::Error when the target is not allowed (inside the source, non-empty without force,
// holding a protected path, no parent) or its filesystem lacks room for `bytesNeeded`.
void checkTarget(const MoeModel& model, const ExportOptions& options, uint64_t bytesNeeded);
// Files of the source folder copied into the export (tokenizer, generation config; the source's
// own modeling code only for the standard and dense kinds).
bool isCopiedFile(const std::string& name, const ModelSpec& source, ExportKind kind);

torch::ScalarType scalarTypeOf(DType dtype);
// A weight of the source checkpoint that no plan changes (embedding, final norm, lm_head).
torch::Tensor globalTensor(const MoeModel& model, const std::string& name);
// Streams every manifest tensor of `preview` from `applied` into `writer`; returns how many tensors
// the export dtype could not hold exactly.
int writeExportTensors(const MoeModel& applied, const ResolvedPlan& resolved, const ExportPreview& preview,
                       CheckpointWeightsWriter& writer, const std::function<bool(double)>& progress);
// The layer as the export stores it, in the compute dtype: every tensor rounded to the export
// dtype, factors multiplied back for the dense kind.
DecoderLayerWeights asWritten(const DecoderLayerWeights& w, const ExportPreview& preview);
ExportVerification verifyExport(const MoeModel& applied, const ExportPreview& preview,
                                const std::filesystem::path& folder, const ExportOptions& options,
                                const std::function<bool(double)>& progress);

} // namespace moewb::detail
