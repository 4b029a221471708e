// moe-compress train-tokenizer --text FILE [--text FILE ...] [--vocab-size 2048] --out DIR:
// learns a byte-level BPE (GPT-2 pre-tokenizer, `<|endoftext|>` = id 0, core/io/bpe_trainer.h) and
// writes tokenizer.json + tokenizer_config.json, then reloads them and reports the tokens and
// characters per token of the training text under the new tokenizer.
#include "app/cli/commands.h"
#include "app/cli/validators.h"
#include "core/io/bpe_trainer.h"
#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/text_format.h"
#include "core/io/tokenizer.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct TrainTokenizerOptions {
    std::vector<std::string> texts;
    std::string out;
    std::size_t vocabSize = 2048;
    std::int64_t minFrequency = 2;
    std::size_t modelMaxLength = 1024;
    bool force = false;
};

void run(const TrainTokenizerOptions& o)
{
    // A model folder's tokenizer is part of the model: replacing it breaks the checkpoint's vocabulary.
    for (const char* name : {"tokenizer.json", "tokenizer_config.json"})
        if (std::error_code ec; !o.force && fs::exists(fs::path(o.out) / name, ec))
            fail("{}: already holds {}{}; pass --force to replace it", o.out, name,
                 fs::exists(fs::path(o.out) / "config.json", ec) ? " (it is a model folder)" : "");
    const auto start = std::chrono::steady_clock::now();
    BpeTrainer trainer(BpeTrainerOptions{o.vocabSize, o.minFrequency, {"<|endoftext|>"}});
    for (const std::string& text : o.texts)
        trainer.addFile(text);
    const TrainedBpe bpe = trainer.train();
    writeTokenizerFiles(bpe, o.out, TokenizerFileOptions{"<|endoftext|>", o.modelMaxLength});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{}: {} tokens ({} special, 256 bytes, {} merges) from {} words ({} distinct) in {:.1f} s\n",
        (fs::path(o.out) / "tokenizer.json").string(), grouped(bpe.vocab.size()), bpe.specialCount,
        grouped(bpe.merges.size()), grouped(bpe.words), grouped(bpe.distinctWords), seconds);
    if (bpe.vocab.size() < o.vocabSize)
        fmt::print("note: stopped below --vocab-size {}: no pair occurs {} times or more\n", o.vocabSize,
            o.minFrequency);

    // Reload what was written, as every consumer will, and measure the training text with it.
    const Tokenizer tokenizer = Tokenizer::fromFile(fs::path(o.out) / "tokenizer.json");
    for (const std::string& path : o.texts) {
        const std::string text = readWholeFile(path);
        const std::size_t tokens = tokenizer.encode(text, false).size();
        if (tokenizer.decode(tokenizer.encode(text, false)) != text)
            fail("{}: the written tokenizer does not decode its encoding back to the text", path);
        fmt::print("{}: {} bytes, {} tokens, {:.2f} bytes/token\n", path, grouped(text.size()),
            grouped(tokens), tokens ? static_cast<double>(text.size()) / static_cast<double>(tokens) : 0.0);
    }
}

} // namespace

void registerTrainTokenizer(CLI::App& app, GlobalOptions&)
{
    auto options = std::make_shared<TrainTokenizerOptions>();
    auto* cmd = app.add_subcommand(
        "train-tokenizer", "Learn a byte-level BPE tokenizer (GPT-2 style) from UTF-8 text");
    cmd->add_option("--text", options->texts, "Training text, plain UTF-8 (repeat for several files)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--out", options->out, "Folder for tokenizer.json and tokenizer_config.json")->required();
    cmd->add_flag("--force", options->force, "Replace a tokenizer.json / tokenizer_config.json already in --out");
    cmd->add_option(
           "--vocab-size", options->vocabSize, "Tokens in all: <|endoftext|> + 256 byte tokens + merges")
        ->check(CLI::Range(std::size_t{257}, std::size_t{1} << 20))
        ->capture_default_str();
    cmd->add_option("--min-frequency", options->minFrequency, "Stop when the best pair occurs fewer times")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->add_option(
           "--model-max-length", options->modelMaxLength, "model_max_length in tokenizer_config.json")
        ->check(positiveNumber())
        ->capture_default_str();
    cmd->callback([options] { run(*options); });
}

} // namespace moewb::cli
