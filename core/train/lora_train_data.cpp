#include "core/train/lora_train_data.h"

#include "core/calib/dataset.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"

namespace moewb {

LoraTrainData readLoraTrainData(const std::filesystem::path& path, const Tokenizer& tokenizer)
{
    LoraTrainData data;
    if (looksLikeInstructionPairs(path)) {
        data.pairs = readInstructionPairs(path, tokenizer);
        data.padId = tokenizer.eosId().value_or(0);
        return data;
    }
    data.text = tokenize(readTextCorpus(path), tokenizer);
    if (data.text.empty())
        fail("{}: no tokens (an empty file?)", path.string());
    return data;
}

} // namespace moewb
