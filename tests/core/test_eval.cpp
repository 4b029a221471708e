// core/eval: perplexity against the reference's own loss on the golden models, KL divergence (exact
// and top-K) against direct computation, zero-shot multiple choice against a hand-computed case and
// against the golden float64 logits, lm-evaluation-harness encoding rules, cancellation, and the
// throughput measurement (warm-up untimed, fastest pass) against a model with known delays.
#include "core/calib/dataset.h"
#include "core/eval/kl.h"
#include "core/eval/multiple_choice.h"
#include "core/eval/perplexity.h"
#include "core/eval/throughput.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "support/golden.h"
#include "support/paths.h"
#include "support/temp_dir.h"

#include <doctest/doctest.h>
#include <torch/utils.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

namespace fs = std::filesystem;
using namespace moewb;
using moewb::test::GoldenSet;

namespace {

const char* kSets[] = {"mixtral", "qwen2_moe", "qwen3_moe", "qwen3_moe_fused", "olmoe", "deepseek_v2_lite",
    "deepseek_v2_group", "deepseek_moe"};

// The reference's mean next-token loss on its own tokens, from the float64 golden logits.
double referenceMeanLoss(const torch::Tensor& logits, const torch::Tensor& ids)
{
    const int64_t T = ids.size(1);
    auto logp = torch::log_softmax(logits.slice(1, 0, T - 1), -1);
    return -logp.gather(-1, ids.slice(1, 1, T).unsqueeze(-1)).mean().item<double>();
}

// A "model" whose next-token log-probabilities depend only on the current token: table[id] [V].
LogitsFn bigram(const torch::Tensor& table)
{
    return [table](const torch::Tensor& ids, const ProgressFn&) { return table.index({ids}); };
}

Tokenizer bytesTokenizer()
{
    return Tokenizer::fromFile(test::dataDir() / "tokenizers" / "bytes256" / "tokenizer.json");
}

std::vector<int32_t> asVector(const torch::Tensor& t)
{
    auto c = t.to(torch::kInt32).contiguous();
    return {c.data_ptr<int32_t>(), c.data_ptr<int32_t>() + c.numel()};
}

} // namespace

TEST_CASE("perplexity of every golden model equals exp of the reference's mean loss on the same tokens")
{
    for (const char* name : kSets) {
        GoldenSet g(name);
        auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU});
        auto ids = g.tensor("input_ids_a");
        const double expected = std::exp(referenceMeanLoss(g.tensor("logits_a"), ids));
        for (int64_t batchTokens : {int64_t{4096}, ids.size(1)}) { // both rows at once, and one row a pass
            EvalOptions options;
            options.batchTokens = batchTokens;
            const auto result = perplexity(modelLogits(*model), ids, options);
            INFO(name, ": perplexity ", result.perplexity, ", reference ", expected, ", batch tokens ",
                batchTokens);
            CHECK(std::abs(result.perplexity - expected) <= 1e-4 * expected);
            CHECK(result.predictedTokens == ids.size(0) * (ids.size(1) - 1));
            CHECK(result.windows == ids.size(0));
            CHECK(result.run.tokens == ids.numel());
            CHECK(result.run.forwardPasses == (batchTokens >= ids.numel() ? 1 : ids.size(0)));
            CHECK(result.run.tokensPerSecond > 0);
            CHECK(result.run.peakRssAnonBytes >= result.run.startRssAnonBytes);
        }
    }
}

TEST_CASE("perplexity of a uniform model is the vocabulary size; cancelling throws")
{
    const int64_t V = 37;
    auto ids = torch::randint(V, {3, 9}, torch::kInt64);
    LogitsFn uniform = [V](const torch::Tensor& x, const ProgressFn&) {
        return torch::zeros({x.size(0), x.size(1), V});
    };
    CHECK(perplexity(uniform, ids).perplexity == doctest::Approx(double(V)).epsilon(1e-6));
    EvalOptions stop;
    stop.batchTokens = 9;
    int calls = 0;
    stop.progress = [&](double) { return ++calls < 2; };
    CHECK_THROWS_AS(perplexity(uniform, ids, stop), Cancelled);
    CHECK_THROWS_AS(perplexity(uniform, torch::zeros({2, 1}, torch::kInt64)), Error);
}

TEST_CASE("non-finite logits are an error naming the model, for perplexity and for either side of KL")
{
    const int64_t V = 11;
    auto ids = torch::randint(V, {2, 6}, torch::kInt64);
    const LogitsFn finite = [V](const torch::Tensor& x, const ProgressFn&) { return torch::zeros({x.size(0), x.size(1), V}); };
    const LogitsFn nan = [V](const torch::Tensor& x, const ProgressFn&) {
        return torch::full({x.size(0), x.size(1), V}, std::numeric_limits<float>::quiet_NaN());
    };
    EvalOptions o;
    o.model = "qwen (compressed)";
    CHECK_THROWS_WITH_AS(perplexity(nan, ids, o), doctest::Contains("qwen (compressed): the next-token loss is nan"),
                         Error);
    CHECK_THROWS_WITH_AS(perplexity(nan, ids), doctest::Contains("the model: the next-token loss is nan"), Error);
    EvalOptions ref;
    ref.model = "qwen (original)";
    CHECK_THROWS_WITH_AS(captureReference(nan, ids, 0, ref), doctest::Contains("qwen (original): "), Error);
    const auto captured = captureReference(finite, ids, 0, ref);
    CHECK_THROWS_WITH_AS(compareWithReference(captured, nan, o), doctest::Contains("qwen (compressed): "), Error);
}

TEST_CASE("KL divergence: exact and top-K against direct computation")
{
    const int64_t V = 6;
    torch::manual_seed(3);
    auto refTable = torch::log_softmax(torch::randn({V, V}, torch::kDouble) * 2, -1).to(torch::kFloat);
    auto candTable
        = torch::log_softmax(refTable.to(torch::kDouble) + torch::randn({V, V}, torch::kDouble), -1)
              .to(torch::kFloat);
    auto ids = torch::randint(V, {4, 5}, torch::kInt64);
    auto p = refTable.to(torch::kDouble).index({ids}), q = candTable.to(torch::kDouble).index({ids});
    const double exact = (p.exp() * (p - q)).sum(-1).mean().item<double>();

    EvalOptions small;
    small.batchTokens = 5; // one row a pass
    const auto full = klDivergence(bigram(refTable), bigram(candTable), ids, 0, small);
    CHECK(full.meanKl == doctest::Approx(exact).epsilon(1e-5));
    CHECK(full.topK == 0);
    CHECK(full.tokens == 20);
    CHECK(full.maxKl >= full.meanKl);
    CHECK(full.top1Agreement
        == doctest::Approx((p.argmax(-1) == q.argmax(-1)).to(torch::kDouble).mean().item<double>()));
    CHECK(full.reference.perplexity
        == doctest::Approx(perplexity(bigram(refTable), ids).perplexity).epsilon(1e-6));
    CHECK(full.candidate.perplexity
        == doctest::Approx(perplexity(bigram(candTable), ids).perplexity).epsilon(1e-6));

    // Top K: the reference's K most likely tokens plus one bucket for the rest, both models coarsened.
    const int64_t K = 2;
    auto [topP, topIds] = p.topk(K, -1);
    auto topQ = q.gather(-1, topIds);
    auto restP = 1 - topP.exp().sum(-1), restQ = 1 - topQ.exp().sum(-1);
    const double coarse
        = ((topP.exp() * (topP - topQ)).sum(-1) + restP * (restP.log() - restQ.log())).mean().item<double>();
    const auto top = klDivergence(bigram(refTable), bigram(candTable), ids, K);
    CHECK(top.topK == K);
    CHECK(top.meanKl == doctest::Approx(coarse).epsilon(1e-4));
    CHECK(top.meanKl <= full.meanKl + 1e-6); // coarsening never increases KL
    CHECK(top.top1Agreement == doctest::Approx(full.top1Agreement));
    CHECK(klDivergence(bigram(refTable), bigram(candTable), ids, V).meanKl
        == doctest::Approx(full.meanKl).epsilon(1e-6));
    CHECK(klDivergence(bigram(refTable), bigram(candTable), ids, V - 1).meanKl
        == doctest::Approx(full.meanKl).epsilon(1e-5)); // one token in the bucket is exact too

    const auto same = klDivergence(bigram(refTable), bigram(refTable), ids);
    CHECK(same.meanKl == 0.0);
    CHECK(same.top1Agreement == 1.0);

    const auto captured = captureReference(bigram(refTable), ids, K);
    CHECK(captured.bytes() == referenceBytes(4, 5, V, K));
    CHECK(referenceBytes(4, 5, V, 0) == 4 * 5 * V * 4);
}

TEST_CASE("KL divergence on a golden model with an expert removed")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    ForwardOptions pruned;
    pruned.overrides[1].removedExperts = {3};
    auto ids = torch::cat({g.tensor("input_ids_a"), g.tensor("input_ids_a").flip(1)}, 0);
    auto p = torch::log_softmax(model->forward(ids).logits.to(torch::kDouble), -1);
    auto q = torch::log_softmax(model->forward(ids, {}, pruned).logits.to(torch::kDouble), -1);
    const double direct = (p.exp() * (p - q)).sum(-1).mean().item<double>();
    EvalOptions options;
    options.batchTokens = 24; // two rows a pass
    const auto kl = klDivergence(modelLogits(*model), modelLogits(*model, pruned), ids, 0, options);
    INFO("KL ", kl.meanKl, " direct ", direct);
    CHECK(direct > 1e-4);
    CHECK(kl.meanKl == doctest::Approx(direct).epsilon(1e-4));
    CHECK(kl.candidate.perplexity
        == doctest::Approx(perplexity(modelLogits(*model, pruned), ids).perplexity).epsilon(1e-6));
    // Top-K partitions are nested as K grows, so the coarsened KL grows with K towards the exact value
    // (slowly here: the random golden models spread their mass over the whole vocabulary).
    const auto top16 = klDivergence(modelLogits(*model), modelLogits(*model, pruned), ids, 16, options);
    const auto top128 = klDivergence(modelLogits(*model), modelLogits(*model, pruned), ids, 128, options);
    CHECK(top16.meanKl > 0);
    CHECK(top16.meanKl <= top128.meanKl + 1e-7);
    CHECK(top128.meanKl <= kl.meanKl + 1e-7);
}

TEST_CASE("multiple choice: a hand-computed case where acc and acc_norm disagree")
{
    // Vocabulary of 4; the next-token distribution depends only on the current token.
    //   after 0: p(1) = 0.5, p(2) = 0.4, p(3) = 0.1;   after 2: p(3) = 0.8;   after 1: p(0) = 0.7
    auto probs = torch::full({4, 4}, 1e-3, torch::kDouble);
    probs[0][1] = 0.5, probs[0][2] = 0.4, probs[0][3] = 0.1;
    probs[2][3] = 0.8;
    probs[1][0] = 0.7;
    probs[3][0] = 0.5;
    auto table = (probs / probs.sum(-1, true)).log().to(torch::kFloat);

    // Q1: context [0]; A = [1] "a" (1 character), B = [2, 3] "bbbb" (4 characters), gold B.
    //   ll(A) = log 0.5 = -0.693 > ll(B) = log 0.4 + log 0.8 = -1.139: acc picks A (wrong);
    //   per character: A -0.693, B -0.285: acc_norm picks B (right).
    // Q2: context [0, 1]; choices [0] "x" and [3] "y", gold 0: both pick choice 0.
    auto norm = [&](int from, int to) {
        return std::log(probs[from][to].item<double>() / probs[from].sum().item<double>());
    };
    std::vector<EncodedQuestion> questions(2);
    questions[0].gold = 1;
    questions[0].choices = {{{0}, {1}, 1}, {{0}, {2, 3}, 4}};
    questions[1].gold = 0;
    questions[1].choices = {{{0, 1}, {0}, 1}, {{0, 1}, {3}, 1}};
    const auto result = scoreMultipleChoice(bigram(table), questions);
    REQUIRE(result.questions.size() == 2);
    const auto& q1 = result.questions[0];
    CHECK(q1.choices[0].logLikelihood == doctest::Approx(norm(0, 1)).epsilon(1e-6));
    CHECK(q1.choices[1].logLikelihood == doctest::Approx(norm(0, 2) + norm(2, 3)).epsilon(1e-6));
    CHECK(q1.choices[1].tokens == 2);
    CHECK(q1.predicted == 0);
    CHECK(q1.predictedNorm == 1);
    CHECK(result.questions[1].predicted == 0);
    CHECK(result.questions[1].predictedNorm == 0);
    CHECK(result.acc == 0.5);
    CHECK(result.accNorm == 1.0);
    CHECK(result.accStderr == doctest::Approx(0.5)); // sample std 0.707 / sqrt(2)
    CHECK(result.accNormStderr == 0.0);
    CHECK(result.run.tokens == 1 + 2 + 2 + 2); // inputs: [0], [0 2], [0 1], [0 1]

    // Ties go to the first choice, as numpy's argmax does.
    std::vector<EncodedQuestion> tie(1);
    tie[0].choices = {{{0}, {1}, 3}, {{0}, {1}, 3}};
    tie[0].gold = 1;
    CHECK(scoreMultipleChoice(bigram(table), tie).questions[0].predicted == 0);
}

TEST_CASE("multiple choice on a golden model matches the reference's float64 log-likelihoods")
{
    GoldenSet g("mixtral");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU});
    auto ids = g.tensor("input_ids_a"); // [2, 12]
    auto logp = torch::log_softmax(g.tensor("logits_a"), -1);
    // Reference log-likelihood of ids[r, from..to) given ids[r, 0..from).
    auto refLl = [&](int64_t r, int64_t from, int64_t to) {
        double s = 0;
        for (int64_t t = from; t < to; ++t)
            s += logp[r][t - 1][ids[r][t].item<int64_t>()].item<double>();
        return s;
    };
    std::vector<EncodedQuestion> questions;
    for (int64_t r = 0; r < 2; ++r) {
        EncodedQuestion q;
        const auto context = asVector(ids[r].slice(0, 0, 6));
        q.choices.push_back({context, asVector(ids[r].slice(0, 6, 12)), 6});
        q.choices.push_back({context, asVector(ids[r].slice(0, 6, 9)), 3});
        q.choices.push_back({asVector(ids[r].slice(0, 0, 2)), asVector(ids[r].slice(0, 2, 5)), 3});
        questions.push_back(q);
    }
    MultipleChoiceOptions options;
    options.batchTokens = 22; // rows of different lengths padded together
    const auto result = scoreMultipleChoice(modelLogits(*model), questions, options);
    for (int64_t r = 0; r < 2; ++r) {
        const auto& q = result.questions[static_cast<size_t>(r)];
        CHECK(q.choices[0].logLikelihood == doctest::Approx(refLl(r, 6, 12)).epsilon(1e-5));
        CHECK(q.choices[1].logLikelihood == doctest::Approx(refLl(r, 6, 9)).epsilon(1e-5));
        CHECK(q.choices[2].logLikelihood == doctest::Approx(refLl(r, 2, 5)).epsilon(1e-5));
    }
    CHECK(result.run.forwardPasses > 1);
}

TEST_CASE("multiple choice encoding follows lm-evaluation-harness")
{
    const auto tokenizer = bytesTokenizer();
    auto bytes = [](const std::string& s) {
        std::vector<int32_t> v;
        for (unsigned char c : s)
            v.push_back(c);
        return v;
    };
    MultipleChoiceTask task;
    task.path = "t.jsonl";
    task.questions = {{"Q: colour? A:", {"red", "caf\xC3\xA9"}, 1}, {"Trailing space:  ", {"yes", "no"}, 0}};
    const auto encoded = encodeQuestions(task, tokenizer);
    REQUIRE(encoded.size() == 2);
    CHECK(encoded[0].choices[0].context == bytes("Q: colour? A:"));
    CHECK(encoded[0].choices[0].continuation == bytes(" red")); // target delimiter " "
    CHECK(encoded[0].choices[1].characters == 4); // code points, not bytes
    CHECK(encoded[0].choices[1].continuation.size() == 6);
    // Whitespace at the end of the context moves to the start of the continuation.
    CHECK(encoded[1].choices[0].context == bytes("Trailing space:"));
    CHECK(encoded[1].choices[0].continuation == bytes("   yes"));
    CHECK(encoded[1].choices[0].characters == 3);

    MultipleChoiceTask empty;
    empty.questions = {{"", {"a", "b"}, 0}};
    CHECK_THROWS_AS(encodeQuestions(empty, tokenizer), Error); // no BOS/EOS to start an empty context
}

TEST_CASE("multiple choice end to end: task file, tokenizer, golden model, against single-sequence forwards")
{
    const test::TempDir temp("moewb-mc");
    const fs::path& dir = temp.path;
    const auto path = dir / "tasks.jsonl";
    std::ofstream(path)
        << "{\"context\": \"The sky is\", \"choices\": [\"blue\", \"green\", \"a colour\"], \"gold\": 0}\n"
           "\n"
           "{\"context\": \"2 + 2 =\", \"choices\": [\"4\", \"five\"], \"gold\": 0}\n";
    const auto tokenizer = bytesTokenizer();
    const auto task = readMultipleChoiceTask(path);
    CHECK(task.questions.size() == 2);
    CHECK(task.fileHash.size() == 16);
    GoldenSet g("qwen2_moe");
    auto model = MoeModel::open(g.dir(), ComputeOptions{torch::kFloat, torch::kCPU});
    const auto encoded = encodeQuestions(task, tokenizer);
    const auto result = scoreMultipleChoice(modelLogits(*model), encoded);
    for (size_t qi = 0; qi < encoded.size(); ++qi) {
        std::vector<double> ll;
        for (size_t ci = 0; ci < encoded[qi].choices.size(); ++ci) {
            const auto& c = encoded[qi].choices[ci];
            std::vector<int64_t> seq(c.context.begin(), c.context.end());
            seq.insert(seq.end(), c.continuation.begin(), c.continuation.end());
            auto t = torch::tensor(seq, torch::kInt64).unsqueeze(0);
            auto lp = torch::log_softmax(model->forward(t).logits.to(torch::kDouble), -1)[0];
            double s = 0;
            for (size_t k = c.context.size(); k < seq.size(); ++k)
                s += lp[static_cast<int64_t>(k) - 1][seq[k]].item<double>();
            CHECK(result.questions[qi].choices[ci].logLikelihood == doctest::Approx(s).epsilon(1e-5));
            ll.push_back(s / static_cast<double>(c.characters));
        }
        CHECK(result.questions[qi].predictedNorm == std::max_element(ll.begin(), ll.end()) - ll.begin());
    }
    std::ofstream(dir / "bad.jsonl") << "{\"context\": \"x\", \"choices\": [\"a\", \"b\"], \"gold\": 2}\n";
    try {
        readMultipleChoiceTask(dir / "bad.jsonl");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("bad.jsonl: line 1: gold 2 is not the index of one of the 2 choices")
            != std::string::npos);
    }
    std::ofstream(dir / "one.jsonl") << "{\"context\": \"x\", \"choices\": [\"a\"], \"gold\": 0}\n";
    CHECK_THROWS_WITH_AS(readMultipleChoiceTask(dir / "one.jsonl"), doctest::Contains("at least 2"), Error);
}

TEST_CASE("throughput: the warm-up pass is not timed, the fastest timed pass counts")
{
    using namespace std::chrono_literals;
    const auto ids = torch::zeros({2, 5}, torch::kInt64);
    int calls = 0;
    // A model whose first call pays a one-time cost (300 ms) and whose later calls take 20, 200, 100 ms
    // (far apart, so a loaded machine's late wake-ups do not change which pass is fastest).
    const LogitsFn slowFirst = [&](const torch::Tensor& batch, const ProgressFn&) {
        const std::chrono::milliseconds delays[] = {300ms, 20ms, 200ms, 100ms};
        std::this_thread::sleep_for(delays[std::min(calls++, 3)]);
        return torch::zeros({batch.size(0), batch.size(1), 3});
    };
    const Throughput warm = measureThroughput(slowFirst, ids, 3, true);
    CHECK(calls == 4);
    CHECK(warm.tokens == 10);
    CHECK(warm.repeats == 3);
    CHECK(warm.warmedUp);
    CHECK(warm.bestSeconds >= 0.020);
    CHECK(warm.bestSeconds < 0.100); // the 20 ms pass, not the 300 ms warm-up or the slower ones
    CHECK(warm.tokensPerSecond == doctest::Approx(10.0 / warm.bestSeconds));
    calls = 0;
    const Throughput cold = measureThroughput(slowFirst, ids, 1, false);
    CHECK(calls == 1);
    CHECK(cold.bestSeconds >= 0.300); // without a warm-up the one-time cost is in the only pass
    CHECK_THROWS_AS(measureThroughput(slowFirst, ids, 0, true), Error);
    CHECK_THROWS_AS(measureThroughput(slowFirst, torch::zeros({0, 5}, torch::kInt64), 1, true), Error);
    // Progress runs over all passes (the model's own reports inside a pass too); false cancels.
    std::vector<double> seen;
    const LogitsFn reporting = [](const torch::Tensor& batch, const ProgressFn& progress) {
        if (progress)
            progress(0.5);
        return torch::zeros({batch.size(0), batch.size(1), 3});
    };
    measureThroughput(reporting, ids, 2, false, [&](double f) { seen.push_back(f); return true; });
    CHECK(seen == std::vector<double>{0.0, 0.25, 0.5, 0.75});
    calls = 0;
    CHECK_THROWS_AS(measureThroughput(slowFirst, ids, 100, true, [&](double) { return calls < 2; }), Cancelled);
    CHECK(calls == 2);
}
