// tokenizer.json and tokenizer_config.json of a trained byte-level BPE, laid out as the `tokenizers`
// library writes them (keys in its order, vocab by id), so diffs against its output stay readable.
#include "core/io/atomic_file.h"
#include "core/io/bpe_trainer.h"
#include "core/io/error.h"

#include <nlohmann/json.hpp>

#include <system_error>

namespace moewb {

namespace {

using nlohmann::ordered_json;

ordered_json byteLevel(bool trimOffsets)
{
    return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", trimOffsets},
        {"use_regex", true}};
}

ordered_json addedToken(std::size_t id, const std::string& content)
{
    return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
        {"normalized", false}, {"special", true}};
}

std::string dump(const ordered_json& json)
{
    return json.dump(2, ' ', false, ordered_json::error_handler_t::strict) + "\n";
}

} // namespace

std::string tokenizerJson(const TrainedBpe& bpe)
{
    ordered_json added = ordered_json::array();
    for (std::size_t id = 0; id < bpe.specialCount; ++id)
        added.push_back(addedToken(id, bpe.vocab[id]));
    ordered_json vocab = ordered_json::object();
    for (std::size_t id = 0; id < bpe.vocab.size(); ++id)
        vocab[bpe.vocab[id]] = id;
    ordered_json merges = ordered_json::array();
    for (const auto& [a, b] : bpe.merges)
        merges.push_back(a + " " + b); // byte-level tokens hold no space

    ordered_json model = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
        {"byte_fallback", false}, {"ignore_merges", false}, {"vocab", std::move(vocab)},
        {"merges", std::move(merges)}};
    const ordered_json root = {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr},
        {"added_tokens", std::move(added)}, {"normalizer", nullptr}, {"pre_tokenizer", byteLevel(true)},
        {"post_processor", byteLevel(false)}, {"decoder", byteLevel(true)}, {"model", std::move(model)}};
    return dump(root);
}

std::string tokenizerConfigJson(const TrainedBpe& bpe, const TokenizerFileOptions& options)
{
    ordered_json decoder = ordered_json::object();
    for (std::size_t id = 0; id < bpe.specialCount; ++id) {
        ordered_json token = addedToken(id, bpe.vocab[id]);
        token.erase("id");
        decoder[std::to_string(id)] = std::move(token);
    }
    const ordered_json eos
        = options.eosToken.empty() ? ordered_json(nullptr) : ordered_json(options.eosToken);
    const ordered_json root = {{"add_bos_token", false}, {"add_eos_token", false},
        {"add_prefix_space", false}, {"added_tokens_decoder", std::move(decoder)}, {"bos_token", nullptr},
        {"clean_up_tokenization_spaces", false}, {"eos_token", eos},
        {"model_max_length", options.modelMaxLength}, {"pad_token", eos},
        {"tokenizer_class", "PreTrainedTokenizerFast"}, {"unk_token", nullptr}};
    return dump(root);
}

void writeTokenizerFiles(
    const TrainedBpe& bpe, const std::filesystem::path& directory, const TokenizerFileOptions& options)
{
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec)
        fail("{}: cannot create the folder: {}", directory.string(), ec.message());
    // Both are written under temporary names first, then renamed: a reader never sees one file new
    // and the other missing.
    AtomicFile tokenizer(directory / "tokenizer.json");
    tokenizer.write(tokenizerJson(bpe));
    tokenizer.finish();
    AtomicFile config(directory / "tokenizer_config.json");
    config.write(tokenizerConfigJson(bpe, options));
    config.finish();
    tokenizer.commit();
    config.commit();
}

} // namespace moewb
