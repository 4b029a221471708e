// Sub-commands of moe-compress. Each lives in its own cmd_*.cpp and registers itself on the app;
// its callback runs inside main()'s error handling (moewb::Error -> message + exit code 1).
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace moewb::cli {

struct GlobalOptions {
    int threads = 0;        // 0 = hardware concurrency
    std::string residency = "auto"; // core/model/residency.h: auto, resident, stream
};

// Applies the global options (threads, residency) before a command does tensor work.
void prepareRuntime(const GlobalOptions& global);

// inspect MODEL_DIR [--json] [--from-config] (cmd_inspect.cpp)
void registerInspect(CLI::App& app, GlobalOptions& global);

// eval MODEL (--text FILE | --ids FILE | --tasks FILE.jsonl) [--compare OTHER] [--json] (cmd_eval.cpp)
void registerEval(CLI::App& app, GlobalOptions& global);

// search MODEL --session S.h5 [--calib FILE] [--ratio R] [--K K] [--T T] [--seed S] [--json] (cmd_search.cpp)
void registerSearch(CLI::App& app, GlobalOptions& global);

// train-tokenizer --text FILE [--vocab-size 2048] --out DIR (cmd_train_tokenizer.cpp)
void registerTrainTokenizer(CLI::App& app, GlobalOptions& global);

// train --arch A --tokenizer DIR --train FILE --valid FILE --out DIR [...] (cmd_train.cpp)
void registerTrain(CLI::App& app, GlobalOptions& global);

// train-report MODEL --train FILE --valid FILE --test FILE [--tasks FILE] [--json] (cmd_train_report.cpp)
void registerTrainReport(CLI::App& app, GlobalOptions& global);

// analyze MODEL (--calib FILE | --ids FILE) --session S.h5 [--ratio R] [--override L=C ...] (cmd_analyze.cpp)
void registerAnalyze(CLI::App& app, GlobalOptions& global);

// decompose MODEL --session S.h5 [--plan PRUNING] [--rate R] [--svd plain|activation] (cmd_decompose.cpp)
void registerDecompose(CLI::App& app, GlobalOptions& global);

// apply MODEL --session S.h5 --plan NAME [--json] (cmd_apply.cpp)
void registerApply(CLI::App& app, GlobalOptions& global);

// export S.h5 OUT_DIR [--plan NAME] [--format auto|standard|extended|dense] [--dtype ..] [--force] (cmd_export.cpp)
void registerExport(CLI::App& app, GlobalOptions& global);

// finetune S.h5 --plan NAME --train FILE [--valid FILE] [--steps N] [--lora-rank R] (cmd_finetune.cpp)
void registerFinetune(CLI::App& app, GlobalOptions& global);

} // namespace moewb::cli
