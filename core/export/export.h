// Exporting a compressed model (an applied plan) as a checkpoint folder that other tools load:
// safetensors shards + index, an edited config.json, the tokenizer and generation files, a model
// card (README.md) and moewb_export.json (provenance, deployability, verification). docs/export.md
// describes the three kinds and which runtimes load each:
//   standard  - the source architecture with an edited config (uniform expert counts, whole layers
//               dropped): stock transformers (and, not verified here, vLLM) load it;
//   extended  - per-layer expert counts, factored experts, dropped or condensed MoE sublayers,
//               described under config.json's kCompressionKey; MoeModel::open loads it, and
//               transformers with trust_remote_code=True through the generated modeling_moewb_*.py;
//   dense     - factored experts multiplied back and dropped MoE sublayers written as zeros: the
//               standard format again (no size saving from factoring), for stock loaders.
//
// Safety: the target is written as a temporary sibling folder and renamed into place when complete
// and verified; any failure or cancel removes it. The source folder (and `protectedPaths`) is never
// written into or replaced; a non-empty target is refused unless `force`; free space is checked first.
#pragma once
#include "core/io/safetensors.h"
#include "core/model/moe_model.h"
#include "core/plan/plan.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moewb {

enum class ExportKind { Auto, Standard, Extended, Dense };
std::string exportKindName(ExportKind kind); // "auto", "standard", "extended", "dense"
ExportKind parseExportKind(const std::string& name); // throws moewb::Error for other names

// What the model card and moewb_export.json record about where the model came from.
struct ExportProvenance {
    std::string sessionPath;
    std::string calibrationData;     // file the calibration blocks came from
    std::string calibrationDataHash; // hash of the tokenised calibration set (core/calib)
    int64_t calibrationSamples = 0, calibrationLength = 0;
    // Evaluation results to show: (name, metric -> value); the original model's first when present.
    std::vector<std::pair<std::string, std::map<std::string, double>>> evaluations;
};

struct ExportOptions {
    std::filesystem::path target;
    ExportKind kind = ExportKind::Auto;
    std::optional<DType> dtype;        // BF16, F16 or F32; default: the source's (BF16 for others)
    uint64_t shardSizeBytes = 5'000'000'000ull; // transformers' "5GB"; 0 = one file
    bool force = false;                // replace a non-empty target folder
    std::vector<std::filesystem::path> protectedPaths; // never inside the target when replacing it
    ExportProvenance provenance;
    // The reload check: token ids [B, T] (calibration blocks); undefined: randomVerifyBlocks x
    // randomVerifyLength seeded random ids (the length capped at max_position_embeddings).
    torch::Tensor verifyIds;
    int64_t randomVerifyBlocks = 2, randomVerifyLength = 32;
    bool verify = true;
    // Fraction done (writing, then verification); returning false cancels (moewb::Cancelled).
    std::function<bool(double)> progress;
    std::optional<uint64_t> freeBytesOverride; // tests: pretend the filesystem has this much room
};

// One runtime's verdict on the folder: "loads", "loads with trust_remote_code=True", "no".
struct RuntimeSupport {
    std::string runtime; // "MoE Workbench", "transformers", "vLLM"
    bool loads = false;
    std::string how;     // one line: conditions, "verified here" / "not verified here"
};

// Everything decided before a byte is written (moe-compress export --dry-run prints it).
struct ExportPreview {
    ExportKind kind = ExportKind::Standard; // resolved (never Auto)
    std::vector<std::string> notStandard;   // why the standard kind cannot express the model
    std::vector<std::string> notDense;      // why the dense kind cannot (empty: available)
    std::vector<std::string> notes;         // e.g. layers written as zeros in the dense kind
    std::vector<RuntimeSupport> runtimes;
    DType dtype = DType::BF16;
    int sourceLayers = 0, layers = 0;
    std::vector<int> keptLayers;            // source index of each output layer
    uint64_t sourceParameters = 0, parameters = 0; // stored parameters (countParameters)
    uint64_t sourceBytes = 0;               // the source checkpoint's weight files
    uint64_t weightBytes = 0;               // tensor data to write
    uint64_t totalBytes = 0;                // every file, headers and text files included (estimate)
    std::vector<TensorEntry> manifest;      // every tensor, in writing order
    std::vector<int> manifestLayer;         // output layer of each manifest entry (-1: none)
    std::vector<CheckpointShard> shards;
    nlohmann::json config;                  // config.json as it will be written
    ModelSpec spec;                         // that config parsed (what MoeModel::open will see)
};

struct ExportVerification {
    bool ran = false;
    int64_t blocks = 0, tokens = 0;
    std::string data;         // "calibration blocks" / "random token ids"
    // Reloaded folder vs the in-memory model with its weights as written (rounded to the export
    // dtype, factors multiplied back for the dense kind): the writing must be lossless, so this is
    // held to the golden-test tolerance max|diff| <= 1e-4 max|logit|.
    double maxDiff = 0;
    // Reloaded folder vs the in-memory applied model as it computes: what the export dtype costs.
    double maxDiffInMemory = 0;
    double logitScale = 0;    // max|logit| of the reference
    double tolerance = 0;
    bool passed = false;
    double seconds = 0;
};

struct ExportReport {
    ExportPreview preview;
    std::filesystem::path source;    // the source model's folder
    std::filesystem::path target;
    std::vector<std::string> files;  // relative to target
    uint64_t bytesWritten = 0;       // every file
    int roundedTensors = 0;          // tensors whose values the export dtype could not hold exactly
    double writeSeconds = 0;
    ExportVerification verification;
};

// Decides the kind, the config and every tensor, and checks the target (writes nothing).
// Throws moewb::Error when the requested kind cannot express the plan (listing why) or the target
// is not allowed.
ExportPreview previewExport(const MoeModel& applied, const Plan& plan, const ExportOptions& options);

// `applied`: the source model with `plan` applied (applyPlan, core/plan/apply.h). Writes the folder,
// reloads it with MoeModel::open and compares logits (options.verify) before renaming it into place;
// a failed comparison is an error and leaves nothing behind.
ExportReport exportModel(const MoeModel& applied, const Plan& plan, const ExportOptions& options);

nlohmann::json exportReportToJson(const ExportReport& report);
nlohmann::json exportPreviewToJson(const ExportPreview& preview);

// ---- Pieces (export_*.cpp), public for tests ------------------------------------------------
// The README.md model card.
std::string modelCard(const ExportReport& report, const Plan& plan, const ModelSpec& source,
                      const ExportProvenance& provenance);
// The generated modeling file of the extended kind: its file name ("modeling_moewb_mixtral.py")
// and text; nullopt for architectures transformers has no stock class for.
std::optional<std::pair<std::string, std::string>> extendedModelingFile(const ModelSpec& source);

} // namespace moewb
