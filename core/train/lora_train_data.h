// Reading the training data of LoRA recovery fine-tuning (lora.h's LoraTrainData) from a file, the
// way `moe-compress finetune --train` and the GUI's Recover both do: JSONL instruction pairs when the
// file's first non-blank line is one (lora_data.h: {prompt, response} or {instruction, input,
// output}; loss on the responses), otherwise text (plain, or JSONL with a "text" field) tokenised as
// one stream.
#pragma once
#include "core/train/lora.h"

#include <filesystem>

namespace moewb {

class Tokenizer;

// Throws moewb::Error naming the file (and the line, for a malformed JSONL line) when it cannot be
// read, a line is not a valid pair, or the text has no tokens. Pairs are padded with the tokenizer's
// EOS (0 when it has none).
LoraTrainData readLoraTrainData(const std::filesystem::path& path, const Tokenizer& tokenizer);

} // namespace moewb
