// What `moe-compress eval` measured, and how it is printed (a table, or JSON with --json).
#pragma once
#include "core/calib/dataset.h"
#include "core/eval/kl.h"
#include "core/eval/multiple_choice.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace moewb::cli {

struct ModelEvaluation {
    std::string role; // "model", "reference", "compressed" or "original"
    std::string plan; // the applied plan's name, if any
    std::filesystem::path path;
    std::string architecture;
    int layers = 0;
    int64_t vocab = 0;
    uint64_t parameters = 0;
    uint64_t bytesOnDisk = 0;
    std::string weights; // resident or streamed, and why (core/model/residency.h)
    std::optional<PerplexityResult> perplexity;
    std::optional<MultipleChoiceResult> tasks;
};

struct EvalReport {
    std::vector<ModelEvaluation> models; // the evaluated model first, then the --compare reference
    std::optional<TokenBlocks> blocks;
    std::string blocksKind; // "text" or "ids"
    std::string tokenizer; // tokenizer.json used (empty for --ids without --tasks)
    std::optional<KlResult> kl;
    std::optional<MultipleChoiceTask> task;
    std::string dtype, device;
    int threads = 1;
};

void printReport(const EvalReport& report);
void printReportJson(const EvalReport& report);

} // namespace moewb::cli
