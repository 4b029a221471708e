#include "app/cli/eval_report.h"
#include "core/io/text_format.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace moewb::cli {

namespace {

std::string mib(int64_t bytes)
{
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / 1048576.0);
}

// Peak RssAnon over every stage a model ran in.
int64_t peakAnon(const ModelEvaluation& m)
{
    int64_t peak = 0;
    if (m.perplexity)
        peak = std::max(peak, m.perplexity->run.peakRssAnonBytes);
    if (m.tasks)
        peak = std::max(peak, m.tasks->run.peakRssAnonBytes);
    return peak;
}

void row(const std::string& label, const std::vector<std::string>& values)
{
    fmt::print("{:<26}", label);
    for (const auto& v : values)
        fmt::print("{:>18}", v);
    fmt::print("\n");
}

template <typename F> std::vector<std::string> column(const EvalReport& r, F&& f)
{
    std::vector<std::string> out;
    for (const auto& m : r.models)
        out.push_back(f(m));
    return out;
}

nlohmann::json runJson(const RunStats& s)
{
    return {{"tokens", s.tokens}, {"forward_passes", s.forwardPasses}, {"seconds", s.seconds},
        {"tokens_per_second", s.tokensPerSecond}, {"start_rss_anon_bytes", s.startRssAnonBytes},
        {"peak_rss_anon_bytes", s.peakRssAnonBytes}};
}

nlohmann::json perplexityJson(const PerplexityResult& p)
{
    return {{"perplexity", p.perplexity}, {"mean_nll", p.meanNll}, {"predicted_tokens", p.predictedTokens},
        {"windows", p.windows}, {"window_length", p.windowLength}, {"run", runJson(p.run)}};
}

nlohmann::json tasksJson(const MultipleChoiceResult& t)
{
    nlohmann::json questions = nlohmann::json::array();
    for (const auto& q : t.questions) {
        nlohmann::json ll = nlohmann::json::array(), tokens = nlohmann::json::array(),
                       chars = nlohmann::json::array();
        for (const auto& c : q.choices) {
            ll.push_back(c.logLikelihood);
            tokens.push_back(c.tokens);
            chars.push_back(c.characters);
        }
        questions.push_back(
            {{"gold", q.gold}, {"predicted", q.predicted}, {"predicted_norm", q.predictedNorm},
                {"loglikelihoods", ll}, {"tokens", tokens}, {"characters", chars}});
    }
    return {{"acc", t.acc}, {"acc_stderr", t.accStderr}, {"acc_norm", t.accNorm},
        {"acc_norm_stderr", t.accNormStderr}, {"questions", questions}, {"run", runJson(t.run)}};
}

} // namespace

void printReport(const EvalReport& r)
{
    for (const auto& m : r.models)
        fmt::print("{:<11}{}{}  ({}, {} layers, {} parameters, {} bytes {})\n", m.role, m.path.string(),
            m.plan.empty() ? std::string() : " + plan '" + m.plan + "'", m.architecture, m.layers,
            grouped(m.parameters), grouped(m.bytesOnDisk), m.plan.empty() ? "on disk" : "of weights");
    fmt::print("{:<11}{} on {}, {} thread(s)\n", "compute", r.dtype, r.device, r.threads);
    for (const auto& m : r.models)
        if (!m.weights.empty())
            fmt::print("{:<11}{}: {}\n", "weights", m.role, m.weights);
    if (!r.tokenizer.empty())
        fmt::print("{:<11}{}\n", "tokenizer", r.tokenizer);
    if (r.blocks) {
        const auto& b = *r.blocks;
        fmt::print(
            "{:<11}{} (file hash {}): {} tokens, {} windows of {} tokens, {} tokens unused; block hash {}\n",
            r.blocksKind, b.source, b.sourceHash, grouped(b.streamTokens), b.count(), b.length(),
            grouped(b.streamTokens - b.tokens()), b.dataHash);
    }
    if (r.task)
        fmt::print("{:<11}{} (hash {}): {} questions\n", "tasks", r.task->path.string(), r.task->fileHash,
            r.task->questions.size());
    fmt::print("\n");
    row("", column(r, [](const ModelEvaluation& m) { return m.role; }));
    if (r.blocks) {
        row("perplexity", column(r, [](const ModelEvaluation& m) {
            return fmt::format("{:.4f}", m.perplexity->perplexity);
        }));
        row("mean NLL (nats/token)",
            column(r, [](const ModelEvaluation& m) { return fmt::format("{:.6f}", m.perplexity->meanNll); }));
        row("tokens/s (perplexity)", column(r, [](const ModelEvaluation& m) {
            return fmt::format("{:.1f}", m.perplexity->run.tokensPerSecond);
        }));
    }
    if (r.task) {
        row("acc", column(r, [](const ModelEvaluation& m) {
            return fmt::format("{:.4f} ± {:.4f}", m.tasks->acc, m.tasks->accStderr);
        }));
        row("acc_norm", column(r, [](const ModelEvaluation& m) {
            return fmt::format("{:.4f} ± {:.4f}", m.tasks->accNorm, m.tasks->accNormStderr);
        }));
        row("tokens/s (tasks)", column(r, [](const ModelEvaluation& m) {
            return fmt::format("{:.1f}", m.tasks->run.tokensPerSecond);
        }));
    }
    row("peak RssAnon", column(r, [](const ModelEvaluation& m) { return mib(peakAnon(m)); }));
    row("parameters", column(r, [](const ModelEvaluation& m) { return grouped(m.parameters); }));
    row("bytes on disk", column(r, [](const ModelEvaluation& m) { return grouped(m.bytesOnDisk); }));
    if (r.kl) {
        const auto& kl = *r.kl;
        fmt::print("\nKL(reference || model)    {:.6g} nats/token (max {:.4g}), top-1 agreement {:.2f}% over "
                   "{} positions{}\n",
            kl.meanKl, kl.maxKl, 100 * kl.top1Agreement, grouped(kl.tokens),
            kl.topK > 0 ? fmt::format("; top-{} approximation (a lower bound)", kl.topK)
                        : std::string("; exact"));
    }
}

void printReportJson(const EvalReport& r)
{
    nlohmann::json out;
    out["compute"] = {{"dtype", r.dtype}, {"device", r.device}, {"threads", r.threads}};
    if (!r.tokenizer.empty())
        out["tokenizer"] = r.tokenizer;
    if (r.blocks) {
        const auto& b = *r.blocks;
        out["data"] = {{"kind", r.blocksKind}, {"source", b.source}, {"source_hash", b.sourceHash},
            {"stream_tokens", b.streamTokens}, {"windows", b.count()}, {"window_length", b.length()},
            {"block_hash", b.dataHash}, {"hash_function", "fnv1a64"}};
    }
    if (r.task)
        out["tasks"] = {{"source", r.task->path.string()}, {"source_hash", r.task->fileHash},
            {"questions", r.task->questions.size()}};
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : r.models) {
        nlohmann::json j = {{"role", m.role}, {"path", m.path.string()}, {"architecture", m.architecture},
            {"layers", m.layers}, {"parameters", m.parameters}, {"bytes_on_disk", m.bytesOnDisk}, {"plan", m.plan},
            {"weights", m.weights}, {"peak_rss_anon_bytes", peakAnon(m)}};
        if (m.perplexity)
            j["perplexity"] = perplexityJson(*m.perplexity);
        if (m.tasks)
            j["multiple_choice"] = tasksJson(*m.tasks);
        models.push_back(std::move(j));
    }
    out["models"] = std::move(models);
    if (r.kl)
        out["kl"] = {{"direction", "KL(reference || model)"}, {"mean", r.kl->meanKl}, {"max", r.kl->maxKl},
            {"top1_agreement", r.kl->top1Agreement}, {"tokens", r.kl->tokens}, {"top_k", r.kl->topK}};
    fmt::print("{}\n", out.dump(2));
}

} // namespace moewb::cli
