// Run ▸ Apply & evaluate on the worker thread: the original model and every plan of the session on
// held-out text (perplexity, KL to the original on the same windows, tokens/s) and a multiple-choice
// task (accuracy), with each plan's parameters and bytes from the plan accounting. The results are
// stored as the session's evaluations, which the Compare view draws.
// Each plan is applied (core/plan/apply.h) to its own fresh copy of the model, with factors from the
// session's tensor store, so tokens/s is that of the compressed model. tokens/s is measured apart from
// the quality pass (core/eval/throughput.h): the same windows for every model, a warm-up pass, then the
// fastest of three forward passes (one for a streamed model), so the order of the models does not bias it.
#include "app/gui/demo_paths.h"
#include "app/gui/worker.h"
#include "app/gui/worker_core.h"
#include "core/eval/kl.h"
#include "core/eval/multiple_choice.h"
#include "core/eval/throughput.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/residency.h"
#include "core/plan/apply.h"
#include "core/plan/plan.h"

#include <torch/types.h>

#include <algorithm>

namespace moewb::gui {


void WorkerCore::evaluate(int job, const EvalSettings& e)
{
    requireModel();
    const auto& spec = m_model->spec();
    if (m_session.plans().empty())
        fail("no plan to evaluate: run the search (Run all) first, or open a session with plans");
    std::vector<Plan> plans;
    for (const auto& [name, stored] : m_session.plans()) {
        resolvePlan(spec, stored.plan); // refuses an invalid plan before any work
        plans.push_back(stored.plan);
    }

    stage(job, tr("Reading evaluation text"));
    const auto tokenizerPath = m_model->path() / "tokenizer.json";
    std::error_code ec;
    if (!std::filesystem::exists(tokenizerPath, ec))
        fail("{}: no tokenizer.json in the model folder, so the evaluation text cannot be tokenised",
            m_model->path().string());
    const Tokenizer tokenizer = Tokenizer::fromFile(tokenizerPath);
    const QString textPath = e.textPath.isEmpty() ? demoFilePath(QStringLiteral("eval.txt")) : e.textPath;
    if (textPath.isEmpty())
        fail("no evaluation text chosen and the demo's eval.txt was not found");
    BlockOptions bo;
    bo.blocks = e.windows;
    bo.blockLength = spec.maxPositionEmbeddings > 0 ? std::min(e.windowLength, spec.maxPositionEmbeddings)
                                                    : e.windowLength;
    bo.selection = BlockSelection::Sequential;
    const TokenBlocks blocks = loadTextBlocks(textPath.toStdString(), tokenizer, bo);

    const QString tasksPath
        = e.tasksPath.isEmpty() ? demoFilePath(QStringLiteral("tasks.jsonl")) : e.tasksPath;
    std::vector<EncodedQuestion> questions;
    std::string taskName;
    MultipleChoiceOptions mo;
    mo.maxLength = spec.maxPositionEmbeddings;
    mo.batchTokens = e.batchTokens;
    if (!tasksPath.isEmpty()) {
        MultipleChoiceTask task = readMultipleChoiceTask(tasksPath.toStdString());
        if (e.maxQuestions > 0 && static_cast<int>(task.questions.size()) > e.maxQuestions)
            task.questions.resize(static_cast<size_t>(e.maxQuestions));
        taskName = task.path.stem().string();
        questions = encodeQuestions(task, tokenizer, mo);
    }

    // Speed on the first (at most 8) windows: the same tokens for every model.
    const torch::Tensor speedIds = blocks.ids.slice(0, 0, std::min<int64_t>(blocks.count(), 8));
    const auto speed = [&speedIds](const MoeModel& model) {
        const Throughput t = measureThroughput(model, speedIds, model.resident() ? 3 : 1);
        return std::pair{t.tokensPerSecond, nlohmann::json{{"tokens", t.tokens}, {"repeats", t.repeats},
                                                {"warm_up", t.warmedUp}, {"best_seconds", t.bestSeconds}}};
    };

    const double steps = 2.0 * (1 + plans.size());
    int step = 0;
    const auto part = [this, job, &step, steps](double f) { return progress(job, (step + f) / steps); };
    EvalOptions eo;
    eo.batchTokens = e.batchTokens;
    eo.progress = part;
    mo.progress = part;
    const auto evaluateOne = [&](const std::string& name, const std::string& planName, const MoeModel& model,
                                 const ReferenceDistribution* reference, const Plan& plan) {
        const LogitsFn logits = modelLogits(model);
        Evaluation ev;
        ev.name = name;
        ev.plan = planName;
        const PlanAccounting account = accountPlan(spec, plan);
        if (reference) {
            eo.model = name; // names the model when its logits are not finite
            const KlResult kl = compareWithReference(*reference, logits, eo);
            ev.metrics["perplexity"] = kl.candidate.perplexity;
            ev.metrics["kl"] = kl.meanKl;
        }
        const auto [tokensPerSecond, speedDetails] = speed(model);
        ev.metrics["tokens_per_s"] = tokensPerSecond;
        ev.metrics["params"] = static_cast<double>(account.result.total());
        ev.metrics["bytes"] = static_cast<double>(account.resultBytes);
        ++step;
        if (!questions.empty())
            ev.metrics["acc:" + taskName] = scoreMultipleChoice(logits, questions, mo).acc;
        ++step;
        ev.details = {{"text", textPath.toStdString()}, {"windows", blocks.count()},
            {"window_length", blocks.length()}, {"questions", questions.size()},
            {"applied", "applyPlan"}, {"speed", speedDetails}};
        m_session.setEvaluation(std::move(ev));
    };

    stage(job, tr("Evaluating the original model"));
    const LogitsFn original = modelLogits(*m_model);
    const int64_t vocab = spec.vocabSize;
    const int64_t topK
        = referenceBytes(blocks.count(), blocks.length(), vocab, 0) <= (int64_t{1} << 30) ? 0 : 64;
    eo.model = "the original model";
    const ReferenceDistribution reference = captureReference(original, blocks.ids, topK, eo);
    {
        Evaluation ev;
        ev.name = "original";
        const PlanAccounting account = accountPlan(spec, Plan{});
        ev.metrics["perplexity"] = reference.perplexity.perplexity;
        ev.metrics["kl"] = 0;
        const auto [tokensPerSecond, speedDetails] = speed(*m_model);
        ev.metrics["tokens_per_s"] = tokensPerSecond;
        ev.details = {{"text", textPath.toStdString()}, {"windows", blocks.count()},
            {"window_length", blocks.length()}, {"questions", questions.size()}, {"speed", speedDetails}};
        ev.metrics["params"] = static_cast<double>(account.source.total());
        ev.metrics["bytes"] = static_cast<double>(account.sourceBytes);
        ++step;
        if (!questions.empty())
            ev.metrics["acc:" + taskName] = scoreMultipleChoice(original, questions, mo).acc;
        ++step;
        m_session.setEvaluation(std::move(ev));
    }
    for (const auto& plan : plans) {
        stage(job, tr("Evaluating plan %1").arg(QString::fromStdString(plan.name)));
        auto applied = moewb::openModel(m_model->path(), m_model->options());
        applyPlan(*applied, plan, sessionTensorSource(m_session));
        evaluateOne(plan.name, plan.name, *applied, &reference, plan);
    }
    stage(job, tr("Saving session"));
    m_session.save(workingSessionPath());
}

} // namespace moewb::gui
