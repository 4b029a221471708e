#include "core/calib/dataset.h"

#include "core/io/splitmix.h"
#include "core/io/text_format.h"

#include "core/io/error.h"
#include "core/io/file_read.h"
#include "core/io/strict_json.h"
#include "core/io/tokenizer.h"

#include <torch/types.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <numeric>

namespace moewb {

namespace fs = std::filesystem;

namespace {

// Where calibration data came from, as a session records it: absolute, so that a later command run
// from another folder reads the same file (messages keep the path as the user gave it).
std::string absoluteSource(const fs::path& path)
{
    std::error_code ec;
    const auto absolute = fs::absolute(path, ec);
    return (ec ? path : absolute.lexically_normal()).string();
}

std::string readFile(const fs::path& path)
{
    return readWholeFile(path);
}

bool allWhitespace(std::string_view text)
{
    return std::all_of(
        text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

void requireUtf8(std::string_view bytes, const fs::path& path)
{
    const size_t bad = firstInvalidUtf8(bytes);
    if (bad == std::string_view::npos)
        return;
    const auto before = bytes.substr(0, bad);
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    const auto lastBreak = before.rfind('\n');
    const size_t column = bad - (lastBreak == std::string_view::npos ? 0 : lastBreak + 1) + 1;
    fail("{}: not valid UTF-8 text: bad byte 0x{:02x} at offset {} (line {}, byte {} of the line)",
        path.string(), static_cast<unsigned char>(bytes[bad]), bad, line, column);
}

TextFormat resolve(TextFormat format, const fs::path& path)
{
    if (format != TextFormat::Auto)
        return format;
    const auto ext = path.extension().string();
    return ext == ".jsonl" || ext == ".ndjson" ? TextFormat::Jsonl : TextFormat::Plain;
}

std::vector<std::string> jsonlDocuments(
    std::string_view bytes, const fs::path& path, const std::string& field)
{
    std::vector<std::string> documents;
    size_t start = 0;
    for (int64_t lineNo = 1; start < bytes.size(); ++lineNo) {
        size_t end = bytes.find('\n', start);
        if (end == std::string_view::npos)
            end = bytes.size();
        const auto line = bytes.substr(start, end - start);
        start = end + 1;
        if (allWhitespace(line))
            continue;
        const auto where = fmt::format("{}: line {}", path.string(), lineNo);
        const auto record = parseStrictJson(line, where, "record", 64);
        if (!record.is_object())
            fail("{}: record is not a JSON object", where);
        const auto it = record.find(field);
        if (it == record.end() || !it->is_string())
            fail("{}: record has no string field '{}'", where, field);
        documents.push_back(it->get<std::string>());
    }
    return documents;
}

} // namespace

void Fnv1a64Hash::add(std::span<const std::byte> bytes)
{
    for (std::byte b : bytes) {
        m_state ^= static_cast<uint64_t>(b);
        m_state *= 0x100000001b3ull;
    }
}

void Fnv1a64Hash::addU64(uint64_t value)
{
    std::byte le[8];
    for (int i = 0; i < 8; ++i)
        le[i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
    add(le);
}

std::string Fnv1a64Hash::hex() const
{
    return fmt::format("{:016x}", m_state);
}

size_t firstInvalidUtf8(std::string_view s)
{
    size_t i = 0;
    const size_t n = s.size();
    auto cont = [&](size_t k) { return k < n && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80; };
    while (i < n) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0)
                lo = 0xA0; // overlong
            if (b == 0xED)
                hi = 0x9F; // surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0)
                lo = 0x90; // overlong
            if (b == 0xF4)
                hi = 0x8F; // past U+10FFFF
        } else {
            return i;
        }
        if (i + 1 >= n)
            return i;
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        if (b1 < lo || b1 > hi)
            return i;
        for (size_t k = 2; k < len; ++k)
            if (!cont(i + k))
                return i;
        i += len;
    }
    return std::string_view::npos;
}

std::string TextCorpus::joined(std::string_view separator) const
{
    std::string out;
    for (size_t i = 0; i < documents.size(); ++i) {
        if (i > 0)
            out += separator;
        out += documents[i];
    }
    return out;
}

std::string readUtf8File(const fs::path& path)
{
    std::string bytes = readFile(path);
    if (bytes.empty())
        fail("{}: file is empty", path.string());
    requireUtf8(bytes, path);
    return bytes;
}

TextCorpus readTextCorpus(const fs::path& path, TextFormat format, const std::string& field)
{
    TextCorpus corpus;
    corpus.path = path;
    std::string bytes = readUtf8File(path);
    corpus.fileBytes = bytes.size();
    Fnv1a64Hash hash;
    hash.add(bytes);
    corpus.fileHash = hash.hex();
    if (resolve(format, path) == TextFormat::Jsonl) {
        corpus.documents = jsonlDocuments(bytes, path, field);
        if (corpus.documents.empty())
            fail("{}: no JSONL records (only blank lines)", path.string());
    } else {
        if (bytes.rfind("\xEF\xBB\xBF", 0) == 0)
            bytes.erase(0, 3);
        corpus.documents.push_back(std::move(bytes));
    }
    if (std::all_of(corpus.documents.begin(), corpus.documents.end(),
            [](const std::string& d) { return allWhitespace(d); }))
        fail("{}: contains no text (only whitespace)", path.string());
    return corpus;
}

std::vector<int32_t> readTokenIds(const fs::path& path, int64_t vocabSize)
{
    const std::string bytes = readFile(path);
    std::vector<int32_t> ids;
    int64_t line = 1;
    size_t i = 0;
    while (i < bytes.size()) {
        const char c = bytes[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            line += c == '\n';
            ++i;
            continue;
        }
        size_t end = i;
        while (end < bytes.size() && !std::isspace(static_cast<unsigned char>(bytes[end])))
            ++end;
        const std::string_view word(bytes.data() + i, end - i);
        int64_t value = -1;
        const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
        if (ec != std::errc() || ptr != word.data() + word.size() || value < 0 || value > INT32_MAX)
            fail("{}: line {}: '{}' is not a token id (a non-negative integer)", path.string(), line,
                word.substr(0, 40));
        if (vocabSize > 0 && value >= vocabSize)
            fail("{}: line {}: token id {} is outside the model's vocabulary of {}", path.string(), line,
                value, vocabSize);
        ids.push_back(static_cast<int32_t>(value));
        i = end;
    }
    if (ids.empty())
        fail("{}: no token ids (the file is empty or only whitespace)", path.string());
    return ids;
}

TokenBlocks makeBlocks(
    std::span<const int32_t> stream, const BlockOptions& options, const std::string& source)
{
    const int64_t s = options.blockLength;
    if (s < 2)
        fail("{}: block length must be at least 2 tokens (got {})", source, s);
    if (options.blocks < 0)
        fail("{}: block count must not be negative (got {})", source, options.blocks);
    if (options.selection == BlockSelection::Random && options.blocks == 0)
        fail("{}: random block selection needs a block count", source);
    const int64_t total = static_cast<int64_t>(stream.size());
    const int64_t windows = total / s;
    const int64_t n = options.blocks == 0 ? windows : options.blocks;
    if (windows == 0 || n > windows) {
        if (options.blocks == 0)
            fail("{}: {} tokens, but one block of {} tokens needs {}", source, grouped(total), grouped(s),
                grouped(s));
        fail("{}: {} tokens, but {} blocks of {} tokens need {}", source, grouped(total), grouped(n),
            grouped(s), grouped(n * s));
    }

    std::vector<int64_t> picked(static_cast<size_t>(windows));
    std::iota(picked.begin(), picked.end(), int64_t{0});
    if (options.selection == BlockSelection::Random) {
        SplitMix64 rng(options.seed); // the same blocks for a seed with every standard library
        for (int64_t i = 0; i < n; ++i) { // partial Fisher-Yates
            const auto j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(windows - i)));
            std::swap(picked[static_cast<size_t>(i)], picked[static_cast<size_t>(j)]);
        }
        picked.resize(static_cast<size_t>(n));
        std::sort(picked.begin(), picked.end());
    } else {
        picked.resize(static_cast<size_t>(n));
    }

    TokenBlocks blocks;
    blocks.options = options;
    blocks.options.blocks = n;
    blocks.source = source;
    blocks.streamTokens = total;
    blocks.ids = torch::empty({n, s}, torch::kInt64);
    auto* out = blocks.ids.data_ptr<int64_t>();
    Fnv1a64Hash hash;
    hash.addU64(static_cast<uint64_t>(n));
    hash.addU64(static_cast<uint64_t>(s));
    for (int64_t b = 0; b < n; ++b) {
        const int64_t offset = picked[static_cast<size_t>(b)] * s;
        blocks.offsets.push_back(offset);
        for (int64_t t = 0; t < s; ++t) {
            const int32_t id = stream[static_cast<size_t>(offset + t)];
            out[b * s + t] = id;
            const auto u = static_cast<uint32_t>(id);
            const std::byte le[4] = {std::byte(u & 0xff), std::byte((u >> 8) & 0xff),
                std::byte((u >> 16) & 0xff), std::byte(u >> 24)};
            hash.add(le);
        }
    }
    blocks.dataHash = hash.hex();
    return blocks;
}

std::vector<int32_t> tokenize(const TextCorpus& corpus, const Tokenizer& tokenizer)
{
    return tokenizer.encode(corpus.joined(), true);
}

TokenBlocks loadTextBlocks(const fs::path& path, const Tokenizer& tokenizer, const BlockOptions& options,
    TextFormat format, const std::string& field)
{
    const TextCorpus corpus = readTextCorpus(path, format, field);
    const auto stream = tokenize(corpus, tokenizer);
    auto blocks = makeBlocks(stream, options, path.string());
    blocks.source = absoluteSource(path);
    blocks.sourceHash = corpus.fileHash;
    return blocks;
}

TokenBlocks loadTokenIdBlocks(const fs::path& path, const BlockOptions& options, int64_t vocabSize)
{
    const auto stream = readTokenIds(path, vocabSize);
    auto blocks = makeBlocks(stream, options, path.string());
    blocks.source = absoluteSource(path);
    Fnv1a64Hash hash;
    hash.add(readFile(path));
    blocks.sourceHash = hash.hex();
    return blocks;
}

} // namespace moewb
