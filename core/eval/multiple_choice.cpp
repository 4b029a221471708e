#include "core/eval/multiple_choice.h"

#include "core/calib/dataset.h"
#include "core/eval/batching.h"
#include "core/eval/run_meter.h"
#include "core/io/error.h"
#include "core/io/strict_json.h"
#include "core/io/tokenizer.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moewb {

namespace {

int64_t codePoints(std::string_view s)
{
    return std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

MultipleChoiceQuestion parseQuestion(std::string_view line, const std::string& where)
{
    const auto record = parseStrictJson(line, where, "record", 64);
    if (!record.is_object())
        fail("{}: record is not a JSON object", where);
    MultipleChoiceQuestion q;
    const auto context = record.find("context");
    if (context == record.end() || !context->is_string())
        fail("{}: record has no string field 'context'", where);
    q.context = context->get<std::string>();
    const auto choices = record.find("choices");
    if (choices == record.end() || !choices->is_array())
        fail("{}: record has no array field 'choices'", where);
    for (const auto& choice : *choices) {
        if (!choice.is_string())
            fail("{}: choice {} is not a string", where, q.choices.size());
        q.choices.push_back(choice.get<std::string>());
        if (q.choices.back().empty())
            fail("{}: choice {} is empty (acc_norm divides by its length)", where, q.choices.size() - 1);
    }
    if (q.choices.size() < 2)
        fail("{}: {} choice(s); a question needs at least 2", where, q.choices.size());
    const auto gold = record.find("gold");
    if (gold == record.end() || !gold->is_number_integer())
        fail("{}: record has no integer field 'gold'", where);
    const auto g = gold->get<int64_t>();
    if (g < 0 || g >= static_cast<int64_t>(q.choices.size()))
        fail("{}: gold {} is not the index of one of the {} choices", where, g, q.choices.size());
    q.gold = static_cast<int>(g);
    return q;
}

// Python's str.isspace for ASCII (the harness strips context whitespace with rstrip()).
bool asciiSpace(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

struct Request {
    size_t question, choice;
    std::vector<int32_t> input; // context + continuation minus the last token (truncated on the left)
    int64_t scored = 0; // the last `scored` positions of input predict the continuation
    const std::vector<int32_t>* continuation = nullptr;
};

double meanStderr(const std::vector<double>& values, double mean)
{
    const auto n = static_cast<double>(values.size());
    if (values.size() < 2)
        return 0;
    double ss = 0;
    for (double v : values)
        ss += (v - mean) * (v - mean);
    return std::sqrt(ss / (n - 1)) / std::sqrt(n);
}

int argmaxFirst(const std::vector<double>& v)
{
    return static_cast<int>(
        std::max_element(v.begin(), v.end(), [](double a, double b) { return a < b; }) - v.begin());
}

} // namespace

MultipleChoiceTask readMultipleChoiceTask(const std::filesystem::path& path)
{
    MultipleChoiceTask task;
    task.path = path;
    const std::string bytes = readUtf8File(path);
    Fnv1a64Hash hash;
    hash.add(bytes);
    task.fileHash = hash.hex();
    size_t start = 0;
    for (int64_t lineNo = 1; start < bytes.size(); ++lineNo) {
        size_t end = bytes.find('\n', start);
        if (end == std::string::npos)
            end = bytes.size();
        const std::string_view line(bytes.data() + start, end - start);
        start = end + 1;
        if (std::all_of(line.begin(), line.end(), asciiSpace))
            continue;
        task.questions.push_back(parseQuestion(line, fmt::format("{}: line {}", path.string(), lineNo)));
    }
    if (task.questions.empty())
        fail("{}: no questions (only blank lines)", path.string());
    return task;
}

std::vector<EncodedQuestion> encodeQuestions(
    const MultipleChoiceTask& task, const Tokenizer& tokenizer, const MultipleChoiceOptions& options)
{
    std::optional<int32_t> bos = tokenizer.bosId();
    if (options.addBos && !bos)
        fail("{}: adding BOS was asked for, but the tokenizer has no BOS token", tokenizer.source());
    std::vector<EncodedQuestion> out;
    for (const auto& q : task.questions) {
        EncodedQuestion eq;
        eq.gold = q.gold;
        for (const auto& choice : q.choices) {
            std::string context = q.context, continuation = options.delimiter + choice;
            size_t keep = context.size();
            while (keep > 0 && asciiSpace(context[keep - 1]))
                --keep;
            continuation = context.substr(keep) + continuation;
            context.resize(keep);
            EncodedChoice ec;
            ec.characters = codePoints(choice);
            if (context.empty()) {
                const auto prefix = bos ? bos : tokenizer.eosId();
                if (!prefix)
                    fail("{}: a question has an empty context and the tokenizer has neither BOS nor EOS to "
                         "start it",
                        task.path.string());
                ec.context = {*prefix};
                ec.continuation = tokenizer.encode(continuation, false);
            } else {
                ec.context = tokenizer.encode(context, false);
                auto whole = tokenizer.encode(context + continuation, false);
                ec.continuation.assign(
                    whole.begin() + static_cast<std::ptrdiff_t>(std::min(ec.context.size(), whole.size())),
                    whole.end());
                if (options.addBos)
                    ec.context.insert(ec.context.begin(), *bos);
            }
            if (ec.continuation.empty())
                fail("{}: choice '{}' encodes to no tokens after its context", task.path.string(), choice);
            eq.choices.push_back(std::move(ec));
        }
        out.push_back(std::move(eq));
    }
    return out;
}

MultipleChoiceResult scoreMultipleChoice(const LogitsFn& model, const std::vector<EncodedQuestion>& questions,
    const MultipleChoiceOptions& options)
{
    using namespace eval_detail;
    torch::NoGradGuard noGrad;
    std::vector<Request> requests;
    for (size_t qi = 0; qi < questions.size(); ++qi) {
        for (size_t ci = 0; ci < questions[qi].choices.size(); ++ci) {
            const auto& c = questions[qi].choices[ci];
            const auto scored = static_cast<int64_t>(c.continuation.size());
            if (scored == 0 || c.context.empty())
                fail("multiple choice: question {} choice {} has an empty context or continuation", qi, ci);
            if (options.maxLength > 0 && scored > options.maxLength)
                fail("multiple choice: question {} choice {} has {} continuation tokens, more than the "
                     "model's {} positions",
                    qi, ci, scored, options.maxLength);
            Request r{qi, ci, {}, scored, &c.continuation};
            r.input = c.context;
            r.input.insert(r.input.end(), c.continuation.begin(), c.continuation.end() - 1);
            if (options.maxLength > 0 && static_cast<int64_t>(r.input.size()) > options.maxLength)
                r.input.erase(r.input.begin(), r.input.end() - options.maxLength);
            requests.push_back(std::move(r));
        }
    }
    // Longest first, as the harness does: a batch's padding is then small and an out-of-memory shows early.
    std::vector<size_t> order(requests.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
        [&](size_t a, size_t b) { return requests[a].input.size() > requests[b].input.size(); });

    std::vector<std::vector<ChoiceScore>> scores(questions.size());
    for (size_t qi = 0; qi < questions.size(); ++qi)
        scores[qi].resize(questions[qi].choices.size());
    RunMeter meter;
    const auto total = static_cast<double>(requests.size());
    for (size_t first = 0; first < order.size();) {
        const auto width = static_cast<int64_t>(requests[order[first]].input.size());
        const auto rows = std::min<size_t>(
            static_cast<size_t>(rowsPerBatch(options.batchTokens, width)), order.size() - first);
        auto ids = torch::zeros({static_cast<int64_t>(rows), width}, torch::kInt64);
        auto* data = ids.data_ptr<int64_t>();
        int64_t realTokens = 0;
        for (size_t r = 0; r < rows; ++r) {
            const auto& in = requests[order[first + r]].input;
            std::copy(in.begin(), in.end(), data + static_cast<int64_t>(r) * width);
            realTokens += static_cast<int64_t>(in.size());
        }
        const double a = double(first) / total, b = double(first + rows) / total;
        auto logits = model(ids, subProgress(options.progress, a, b));
        if (!logits.defined() || logits.dim() != 3 || logits.size(0) != static_cast<int64_t>(rows)
            || logits.size(1) != width)
            fail("the model returned logits of the wrong shape for a batch of {} x {} tokens", rows, width);
        meter.addPass();
        meter.addTokens(realTokens);
        meter.sample();
        auto logProbs = torch::log_softmax(logits.to(torch::kFloat), -1).cpu();
        logits = torch::Tensor();
        for (size_t r = 0; r < rows; ++r) {
            const auto& req = requests[order[first + r]];
            const auto len = static_cast<int64_t>(req.input.size());
            auto positions = logProbs[static_cast<int64_t>(r)].slice(0, len - req.scored, len);
            auto targets = torch::tensor(
                std::vector<int64_t>(req.continuation->begin(), req.continuation->end()), torch::kInt64)
                               .unsqueeze(-1);
            auto& s = scores[req.question][req.choice];
            s.logLikelihood = positions.gather(-1, targets).to(torch::kDouble).sum().item<double>();
            s.tokens = req.scored;
            s.characters = questions[req.question].choices[req.choice].characters;
        }
        first += rows;
        report(options.progress, b);
    }

    MultipleChoiceResult result;
    std::vector<double> hits, hitsNorm;
    for (size_t qi = 0; qi < questions.size(); ++qi) {
        QuestionScore qs;
        qs.choices = scores[qi];
        qs.gold = questions[qi].gold;
        std::vector<double> ll, norm;
        for (const auto& c : qs.choices) {
            ll.push_back(c.logLikelihood);
            norm.push_back(c.logLikelihood / static_cast<double>(std::max<int64_t>(c.characters, 1)));
        }
        qs.predicted = argmaxFirst(ll);
        qs.predictedNorm = argmaxFirst(norm);
        hits.push_back(qs.predicted == qs.gold ? 1.0 : 0.0);
        hitsNorm.push_back(qs.predictedNorm == qs.gold ? 1.0 : 0.0);
        result.questions.push_back(std::move(qs));
    }
    const auto n = static_cast<double>(std::max<size_t>(questions.size(), 1));
    result.acc = std::accumulate(hits.begin(), hits.end(), 0.0) / n;
    result.accNorm = std::accumulate(hitsNorm.begin(), hitsNorm.end(), 0.0) / n;
    result.accStderr = meanStderr(hits, result.acc);
    result.accNormStderr = meanStderr(hitsNorm, result.accNorm);
    result.run = meter.finish();
    return result;
}

} // namespace moewb
