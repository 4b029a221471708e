// Zero-shot multiple choice in the manner of lm-evaluation-harness (methods.md 4): each choice is
// scored by the log-likelihood of its continuation after the context; acc takes the best sum,
// acc_norm the best sum divided by the choice's length in characters (Unicode code points, as
// Python's len), and ties go to the first choice (numpy argmax).
//
// Task files are JSONL, one question a line: {"context": str, "choices": [str, ...], "gold": int}.
// Encoding follows the harness's defaults for causal models: the continuation is delimiter + choice
// (delimiter " "); whitespace at the end of the context moves to the start of the continuation; the
// context and context + continuation are encoded without special tokens and the continuation's
// tokens are what the latter has beyond the former; an empty context becomes the BOS (else EOS)
// token; sequences longer than maxLength + 1 lose tokens on the left.
#pragma once
#include "core/eval/eval_types.h"

#include <filesystem>
#include <string>
#include <vector>

namespace moewb {

class Tokenizer;

struct MultipleChoiceQuestion {
    std::string context;
    std::vector<std::string> choices;
    int gold = 0;
};

struct MultipleChoiceTask {
    std::filesystem::path path;
    std::vector<MultipleChoiceQuestion> questions;
    std::string fileHash; // FNV-1a 64 of the file's bytes
};

// Throws moewb::Error naming the file and line for unreadable, empty, non-UTF-8 or malformed input
// (missing or mistyped fields, fewer than two choices, an empty choice, gold out of range).
MultipleChoiceTask readMultipleChoiceTask(const std::filesystem::path& path);

struct EncodedChoice {
    std::vector<int32_t> context; // tokens before the continuation
    std::vector<int32_t> continuation; // tokens scored
    int64_t characters = 0; // the choice's length for acc_norm
};

struct EncodedQuestion {
    std::vector<EncodedChoice> choices;
    int gold = 0;
};

struct MultipleChoiceOptions {
    std::string delimiter = " "; // lm-evaluation-harness's target_delimiter
    bool addBos = false; // prepend BOS to every context (the harness's add_bos_token)
    int64_t maxLength = 0; // longest model input; 0 = unlimited
    int64_t batchTokens = 2048; // rows x longest row per forward pass
    ProgressFn progress;
};

std::vector<EncodedQuestion> encodeQuestions(
    const MultipleChoiceTask& task, const Tokenizer& tokenizer, const MultipleChoiceOptions& options = {});

struct ChoiceScore {
    double logLikelihood = 0; // sum over the continuation's tokens, nats
    int64_t tokens = 0;
    int64_t characters = 0;
};

struct QuestionScore {
    std::vector<ChoiceScore> choices;
    int gold = 0;
    int predicted = 0; // argmax of logLikelihood
    int predictedNorm = 0; // argmax of logLikelihood / characters
};

struct MultipleChoiceResult {
    double acc = 0, accStderr = 0; // stderr of the mean, as the harness reports it
    double accNorm = 0, accNormStderr = 0;
    std::vector<QuestionScore> questions;
    RunStats run;
};

// Scores every choice of every question with `model` (batched by length, rows right-padded).
MultipleChoiceResult scoreMultipleChoice(const LogitsFn& model, const std::vector<EncodedQuestion>& questions,
    const MultipleChoiceOptions& options = {});

} // namespace moewb
