// Training data of LoRA recovery fine-tuning (lora.h): a token stream (causal LM on random windows)
// or instruction pairs from JSONL (loss on the response tokens only), and the masked loss both use.
// Instruction pairs, one JSON object a line (docs/lora.md):
//   {"prompt": "...", "response": "..."}                     or, Alpaca style,
//   {"instruction": "...", "input": "...", "output": "..."}  -> prompt = instruction + "\n\n" + input
//                                                               (when non-empty) + "\n\n", response = output
// The prompt and the response are tokenised separately (the prompt with the tokenizer's special
// tokens, e.g. BOS; the response without) and joined, plus EOS when the tokenizer has one, so the
// boundary between them is exact. Variable-length examples are right-padded within a batch: with
// causal attention the padding never influences a real token, and its targets are masked.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace moewb {

class Tokenizer;
struct ModelSpec;

// Refuses training sequences (seqLen input tokens) longer than the model's positions
// (max_position_embeddings, when the config gives it): moewb::Error naming both.
void checkTrainingLength(const ModelSpec& spec, int64_t seqLen);

// Target value that the loss ignores (PyTorch's and transformers' -100).
inline constexpr int64_t kIgnoreTarget = -100;

struct InstructionExample {
    std::vector<int32_t> prompt, response;
};

// Reads the pairs; throws moewb::Error naming the file and line for a line that is not an object
// with prompt/response or instruction/output strings, or an example whose response is empty.
std::vector<InstructionExample> readInstructionPairs(const std::filesystem::path& path, const Tokenizer& tokenizer);
// True when the file's first non-blank line is a JSON object with "prompt"/"instruction" keys.
bool looksLikeInstructionPairs(const std::filesystem::path& path);

struct LmBatch {
    torch::Tensor inputs;  // [B, T] int64, padding = padId
    torch::Tensor targets; // [B, T] int64, kIgnoreTarget where no loss is taken (prompt, padding)
    int64_t lossTokens = 0; // targets that count
};

// prompt + response of each example, cut to maxLength + 1 tokens (the response's tail is what a cut
// removes), right-padded to the longest; targets = the next token on response positions only.
LmBatch instructionBatch(const std::vector<const InstructionExample*>& examples, int64_t maxLength, int64_t padId = 0);

// Windows of seqLen + 1 tokens [n, seqLen + 1] as a batch: every target counts.
LmBatch windowBatch(const torch::Tensor& windows);

// Mean cross-entropy (nats) over the targets that count: logits [B, T, V] (computed in at least fp32),
// targets [B, T] with kIgnoreTarget elsewhere. Differentiable.
torch::Tensor maskedLmLoss(const torch::Tensor& logits, const torch::Tensor& targets);

// The distillation loss over the same positions: the mean over the targets that count of
// T^2 KL(softmax(teacher / T) || softmax(student / T)) (nats). student, teacher [B, T, V] (teacher on
// any device and in any precision: it moves to the student's, in at least fp32); differentiable in
// student only. Hinton's T^2 keeps the gradient's scale comparable across temperatures.
torch::Tensor maskedDistillLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& targets,
                                double temperature);

} // namespace moewb
