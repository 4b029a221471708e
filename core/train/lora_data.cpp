// Instruction pairs, padded batches and the masked loss of LoRA fine-tuning (lora_data.h).
#include "core/train/lora_data.h"

#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/model_spec.h"
#include "core/io/tokenizer.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/nn/functional/loss.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace moewb {

void checkTrainingLength(const ModelSpec& spec, int64_t seqLen)
{
    if (spec.maxPositionEmbeddings > 0 && seqLen > spec.maxPositionEmbeddings)
        fail("fine-tuning: sequence length {} is longer than the model's {} positions (max_position_embeddings)",
             seqLen, spec.maxPositionEmbeddings);
}

namespace fs = std::filesystem;

namespace {

bool blank(const std::string& line)
{
    return std::all_of(line.begin(), line.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

std::string field(const nlohmann::json& j, const char* key, const fs::path& path, int64_t line, bool required)
{
    const auto it = j.find(key);
    if (it == j.end()) {
        if (required)
            fail("{}: line {}: no \"{}\" string", path.string(), line, key);
        return {};
    }
    if (!it->is_string())
        fail("{}: line {}: \"{}\" is not a string", path.string(), line, key);
    return it->get<std::string>();
}

} // namespace

bool looksLikeInstructionPairs(const fs::path& path)
{
    std::ifstream f(path);
    for (std::string line; std::getline(f, line);) {
        if (blank(line))
            continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        return j.is_object() && (j.contains("prompt") || j.contains("instruction"));
    }
    return false;
}

std::vector<InstructionExample> readInstructionPairs(const fs::path& path, const Tokenizer& tokenizer)
{
    std::istringstream in(readUtf8File(path));
    std::vector<InstructionExample> out;
    int64_t number = 0;
    const auto eos = tokenizer.eosId();
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (blank(line))
            continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            fail("{}: line {}: not JSON ({})", path.string(), number, e.what());
        }
        if (!j.is_object())
            fail("{}: line {}: not a JSON object", path.string(), number);
        std::string prompt, response;
        if (j.contains("prompt") || j.contains("response")) {
            prompt = field(j, "prompt", path, number, true);
            response = field(j, "response", path, number, true);
        } else if (j.contains("instruction") || j.contains("output")) {
            prompt = field(j, "instruction", path, number, true);
            const std::string input = field(j, "input", path, number, false);
            if (!input.empty())
                prompt += "\n\n" + input;
            prompt += "\n\n";
            response = field(j, "output", path, number, true);
        } else {
            fail("{}: line {}: expected {{\"prompt\", \"response\"}} or {{\"instruction\", \"input\", \"output\"}}",
                 path.string(), number);
        }
        InstructionExample ex{tokenizer.encode(prompt, true), tokenizer.encode(response, false)};
        if (ex.response.empty())
            fail("{}: line {}: the response has no tokens", path.string(), number);
        if (eos)
            ex.response.push_back(*eos);
        out.push_back(std::move(ex));
    }
    if (out.empty())
        fail("{}: no instruction pairs (only blank lines)", path.string());
    return out;
}

LmBatch instructionBatch(const std::vector<const InstructionExample*>& examples, int64_t maxLength, int64_t padId)
{
    if (examples.empty() || maxLength < 1)
        fail("instruction batch: no examples or a length below 1");
    std::vector<std::vector<int64_t>> seqs;
    std::vector<int64_t> promptLen;
    int64_t longest = 0;
    for (const auto* e : examples) {
        std::vector<int64_t> s(e->prompt.begin(), e->prompt.end());
        s.insert(s.end(), e->response.begin(), e->response.end());
        if (static_cast<int64_t>(s.size()) > maxLength + 1)
            s.resize(static_cast<size_t>(maxLength + 1));
        longest = std::max<int64_t>(longest, static_cast<int64_t>(s.size()) - 1);
        promptLen.push_back(static_cast<int64_t>(e->prompt.size()));
        seqs.push_back(std::move(s));
    }
    longest = std::max<int64_t>(longest, 1);
    const auto n = static_cast<int64_t>(seqs.size());
    LmBatch b;
    b.inputs = torch::full({n, longest}, padId, torch::kLong);
    b.targets = torch::full({n, longest}, kIgnoreTarget, torch::kLong);
    auto in = b.inputs.accessor<int64_t, 2>();
    auto tg = b.targets.accessor<int64_t, 2>();
    for (int64_t i = 0; i < n; ++i) {
        const auto& s = seqs[static_cast<size_t>(i)];
        const auto len = static_cast<int64_t>(s.size());
        for (int64_t t = 0; t + 1 < len; ++t) {
            in[i][t] = s[static_cast<size_t>(t)];
            // Position t predicts token t+1: a loss only where that token belongs to the response.
            if (t + 1 >= promptLen[static_cast<size_t>(i)]) {
                tg[i][t] = s[static_cast<size_t>(t + 1)];
                ++b.lossTokens;
            }
        }
    }
    return b;
}

LmBatch windowBatch(const torch::Tensor& windows)
{
    const int64_t len = windows.size(1) - 1;
    return {windows.narrow(1, 0, len), windows.narrow(1, 1, len), windows.size(0) * len};
}

torch::Tensor maskedLmLoss(const torch::Tensor& logits, const torch::Tensor& targets)
{
    const auto wide = logits.scalar_type() == torch::kDouble ? logits : logits.to(torch::kFloat);
    return torch::nn::functional::cross_entropy(
        wide.reshape({-1, wide.size(-1)}), targets.reshape({-1}).to(wide.device()),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreTarget).reduction(torch::kMean));
}

torch::Tensor maskedDistillLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& targets,
                                double temperature)
{
    if (!(temperature > 0))
        fail("fine-tuning: the distillation temperature must be positive (got {})", temperature);
    if (student.sizes() != teacher.sizes())
        fail("fine-tuning: teacher logits {} do not match the student's {}", c10::str(teacher.sizes()), c10::str(student.sizes()));
    const auto s = student.scalar_type() == torch::kDouble ? student : student.to(torch::kFloat);
    const auto t = teacher.detach().to(s.device(), s.scalar_type());
    const int64_t vocab = s.size(-1);
    const auto counted = (targets.reshape({-1}).to(s.device()) != kIgnoreTarget).nonzero().squeeze(1);
    const auto logS = torch::log_softmax(s.reshape({-1, vocab}).index_select(0, counted) / temperature, -1);
    const auto logT = torch::log_softmax(t.reshape({-1, vocab}).index_select(0, counted) / temperature, -1);
    return (logT.exp() * (logT - logS)).sum(-1).mean() * (temperature * temperature);
}

} // namespace moewb
