#include "core/train/trainer.h"

#include "core/io/error.h"
#include "core/io/splitmix.h"
#include "core/train/init.h"

#include <torch/types.h>
#include <torch/utils.h>
#include <torch/optim/adamw.h>
#include <torch/nn/functional/loss.h>
#include <torch/serialize.h>
#include <torch/nn/utils/clip_grad.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <numbers>
#include <set>

namespace moewb {

namespace fs = std::filesystem;

struct Trainer::Optim {
    std::vector<torch::Tensor> all;
    std::unique_ptr<torch::optim::AdamW> adamw;
};

double learningRate(const TrainOptions& o, int64_t step)
{
    if (o.warmupSteps > 0 && step < o.warmupSteps)
        return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmupSteps);
    const double span = static_cast<double>(std::max<int64_t>(1, o.steps - o.warmupSteps));
    const double progress = std::clamp(static_cast<double>(step - o.warmupSteps) / span, 0.0, 1.0);
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return o.lr * (o.minLrFraction + (1.0 - o.minLrFraction) * cosine);
}

torch::Tensor loadBalancingLoss(const torch::Tensor& routerLogits, int topK)
{
    const auto probs = torch::softmax(routerLogits.to(torch::kFloat), -1);
    const int64_t n = probs.size(0), e = probs.size(1);
    torch::Tensor share;
    {
        torch::NoGradGuard noGrad;
        const auto ids = std::get<1>(probs.topk(topK, -1)).reshape({-1});
        share = torch::zeros({e}, torch::kFloat).index_add_(0, ids, torch::ones({ids.size(0)}, torch::kFloat));
        share /= static_cast<double>(n * topK);
    }
    return static_cast<double>(e) * (share * probs.mean(0)).sum();
}

namespace {

// Rows of seqLen + 1 consecutive tokens starting at positions drawn for this step.
torch::Tensor sampleBatch(const std::vector<int32_t>& ids, const TrainOptions& o, int64_t step)
{
    SplitMix64 rng(o.seed * 0x100000001b3ull + static_cast<uint64_t>(step));
    const int64_t width = o.seqLen + 1;
    const uint64_t starts = ids.size() - static_cast<uint64_t>(width) + 1;
    auto batch = torch::empty({o.batchSize, width}, torch::kLong);
    auto* out = batch.data_ptr<int64_t>();
    for (int64_t b = 0; b < o.batchSize; ++b) {
        const uint64_t start = rng.below(starts);
        for (int64_t t = 0; t < width; ++t)
            out[b * width + t] = ids[start + static_cast<uint64_t>(t)];
    }
    return batch;
}

void writeJson(const fs::path& path, const nlohmann::json& json)
{
    std::ofstream f(path);
    f << json.dump(2) << '\n';
    if (!f.flush())
        fail("{}: cannot write", path.string());
}

nlohmann::json readJson(const fs::path& path)
{
    std::ifstream f(path);
    if (!f)
        fail("{}: cannot read", path.string());
    return nlohmann::json::parse(f);
}

} // namespace

Trainer::Trainer(nlohmann::json config, fs::path workDir, TrainOptions options)
    : m_config(std::move(config)), m_workDir(std::move(workDir)), m_options(options)
{
    const TrainOptions& t = m_options;
    if (t.steps <= 0 || t.batchSize <= 0 || t.seqLen <= 1)
        fail("training needs steps > 0, batch > 0 and sequence length > 1");
    if (t.checkpointEvery <= 0 || t.evalEvery <= 0 || t.evalBlocks <= 0 || t.warmupSteps < 0)
        fail("training needs checkpoint and evaluation intervals > 0, evaluation windows > 0 and warm-up >= 0 (got "
             "{}, {}, {}, {})",
             t.checkpointEvery, t.evalEvery, t.evalBlocks, t.warmupSteps);
    const auto finite = [](double v, bool positive) { return std::isfinite(v) && (positive ? v > 0 : v >= 0); };
    if (!finite(t.lr, true) || !finite(t.minLrFraction, false) || !finite(t.weightDecay, false)
        || !finite(t.routerWeightDecay, false) || !finite(t.routerInitStd, false) || !finite(t.auxLossCoef, false)
        || !finite(t.gradClip, true))
        fail("training needs a finite learning rate > 0 and finite, non-negative decays, router std, aux weight and "
             "gradient clip");
    if (const int64_t positions = m_config.value("max_position_embeddings", int64_t{0}); positions > 0 && t.seqLen > positions)
        fail("training: sequence length {} is longer than the model's {} positions (max_position_embeddings)",
             t.seqLen, positions);
    if (const auto work = fs::status(m_workDir); fs::exists(work) && !fs::is_directory(work))
        fail("{}: the work folder is a file; choose a folder (--work)", m_workDir.string());
    const fs::path init = m_workDir / "init";
    if (!fs::exists(init / "model.safetensors")) {
        fs::remove_all(init);
        writeInitialCheckpoint(init, m_config, m_options.seed, m_options.routerInitStd);
        writeJson(init / "init.json", {{"seed", m_options.seed}, {"router_std", m_options.routerInitStd}});
    } else if (readJson(init / "config.json") != m_config ||
               (fs::exists(init / "init.json") && readJson(init / "init.json").value("router_std", 0.0) != m_options.routerInitStd)) {
        fail("{}: holds a different model's initial weights; use another work folder", init.string());
    }
    m_model = MoeModel::open(init, ComputeOptions{torch::kFloat, torch::kCPU});
    m_params = m_model->namedParameters();
    m_optim = std::make_unique<Optim>();
    std::set<std::string> routers;
    for (int i = 0; i < m_model->spec().numLayers; ++i)
        if (m_model->spec().layers[static_cast<size_t>(i)].kind == LayerKind::Moe)
            routers.insert(routerName(m_model->spec(), i));
    std::vector<torch::Tensor> decay, noDecay, router;
    for (auto& [name, t] : m_params) {
        t.requires_grad_(true);
        (routers.count(name) ? router : t.dim() >= 2 ? decay : noDecay).push_back(t);
        m_optim->all.push_back(t);
    }
    auto opts = [&](double wd) {
        return std::make_unique<torch::optim::AdamWOptions>(
            torch::optim::AdamWOptions(m_options.lr).betas({m_options.beta1, m_options.beta2}).weight_decay(wd));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, opts(m_options.weightDecay));
    groups.emplace_back(noDecay, opts(0.0));
    groups.emplace_back(router, opts(m_options.routerWeightDecay));
    m_optim->adamw = std::make_unique<torch::optim::AdamW>(std::move(groups),
                                                           torch::optim::AdamWOptions(m_options.lr));
}

Trainer::~Trainer() = default;

nlohmann::json Trainer::stateIdentity() const
{
    const auto& o = m_options;
    return {{"config", m_config},  {"seed", o.seed},         {"batch", o.batchSize}, {"seq_len", o.seqLen},
            {"steps", o.steps},    {"lr", o.lr},             {"warmup", o.warmupSteps},
            {"aux", o.auxLossCoef}, {"weight_decay", o.weightDecay}, {"router_weight_decay", o.routerWeightDecay},
            {"router_init_std", o.routerInitStd}};
}

void Trainer::saveState(int64_t step, double elapsed)
{
    const fs::path next = m_workDir / "state.next", state = m_workDir / "state", old = m_workDir / "state.old";
    fs::remove_all(next);
    fs::create_directories(next);
    std::vector<torch::Tensor> values;
    for (auto& [name, t] : m_params)
        values.push_back(t.detach());
    torch::save(values, (next / "params.pt").string());
    torch::save(*m_optim->adamw, (next / "optimizer.pt").string());
    writeJson(next / "state.json", {{"identity", stateIdentity()}, {"step", step}, {"elapsed", elapsed}, {"log", m_log}});
    fs::remove_all(old);
    if (fs::exists(state))
        fs::rename(state, old);
    fs::rename(next, state);
    fs::remove_all(old);
}

int64_t Trainer::loadState(double& elapsed)
{
    fs::path state = m_workDir / "state";
    if (!fs::exists(state / "state.json") && fs::exists(m_workDir / "state.old" / "state.json"))
        state = m_workDir / "state.old"; // interrupted between the two renames
    if (!fs::exists(state / "state.json"))
        return 0;
    const auto json = readJson(state / "state.json");
    if (json.at("identity") != stateIdentity())
        fail("{}: a training with other settings left this resume point; remove it or use another work folder",
             state.string());
    std::vector<torch::Tensor> values;
    torch::load(values, (state / "params.pt").string());
    if (values.size() != m_params.size())
        fail("{}: {} tensors saved, the model has {}", (state / "params.pt").string(), values.size(), m_params.size());
    {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < values.size(); ++i)
            m_params[i].second.copy_(values[i]);
    }
    torch::load(*m_optim->adamw, (state / "optimizer.pt").string());
    elapsed = json.at("elapsed").get<double>();
    m_log = json.at("log");
    return json.at("step").get<int64_t>();
}

double Trainer::evaluate(const std::vector<int32_t>& ids, int64_t blocks)
{
    torch::NoGradGuard noGrad;
    const int64_t width = m_options.seqLen + 1;
    const int64_t available = static_cast<int64_t>(ids.size()) / width;
    blocks = std::min(blocks, available);
    if (blocks <= 0)
        fail("validation text too short: {} tokens, one window needs {}", ids.size(), width);
    auto all = torch::empty({blocks, width}, torch::kLong);
    for (int64_t i = 0; i < blocks * width; ++i)
        all.data_ptr<int64_t>()[i] = ids[static_cast<size_t>(i)];
    double sum = 0;
    for (int64_t b0 = 0; b0 < blocks; b0 += m_options.batchSize) {
        const auto batch = all.narrow(0, b0, std::min(m_options.batchSize, blocks - b0));
        const auto logits = m_model->forward(batch.narrow(1, 0, m_options.seqLen)).logits;
        const auto ce = torch::nn::functional::cross_entropy(
            logits.reshape({-1, logits.size(-1)}), batch.narrow(1, 1, m_options.seqLen).reshape({-1}),
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        sum += ce.item<double>();
    }
    return sum / static_cast<double>(blocks * m_options.seqLen);
}

TrainSummary Trainer::run(const std::vector<int32_t>& train, const std::vector<int32_t>& valid,
                          const std::function<bool(const TrainStepReport&)>& onStep)
{
    const auto& o = m_options;
    if (static_cast<int64_t>(train.size()) < 4 * (o.seqLen + 1))
        fail("training text too short: {} tokens for windows of {}", train.size(), o.seqLen + 1);
    double elapsed = 0;
    const int64_t start = loadState(elapsed);
    if (m_log.is_null())
        m_log = {{"options", stateIdentity()}, {"steps", nlohmann::json::array()}, {"evals", nlohmann::json::array()}};
    TrainSummary summary;
    summary.resumedFromStep = start;
    const int64_t vocab = m_model->spec().vocabSize;
    std::map<int, int> topK;
    for (int i = 0; i < m_model->spec().numLayers; ++i)
        if (m_model->spec().layers[static_cast<size_t>(i)].kind == LayerKind::Moe)
            topK[i] = m_model->spec().layers[static_cast<size_t>(i)].topK;

    ForwardOptions fo;
    fo.enableGrad = true;
    fo.routerLogits = true;
    for (int64_t step = start; step < o.steps; ++step) {
        const auto t0 = std::chrono::steady_clock::now();
        const double lr = learningRate(o, step);
        for (auto& group : m_optim->adamw->param_groups())
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        const auto batch = sampleBatch(train, o, step);
        const auto out = m_model->forward(batch.narrow(1, 0, o.seqLen), {}, fo);
        const auto ce = torch::nn::functional::cross_entropy(out.logits.reshape({-1, vocab}),
                                                             batch.narrow(1, 1, o.seqLen).reshape({-1}));
        auto aux = torch::zeros({}, torch::kFloat);
        for (const auto& [layer, logits] : out.routerLogits)
            aux = aux + loadBalancingLoss(logits, topK.at(layer));
        if (!out.routerLogits.empty())
            aux = aux / static_cast<double>(out.routerLogits.size());
        const auto loss = ce + o.auxLossCoef * aux;
        m_optim->adamw->zero_grad();
        loss.backward();
        const double gradNorm = torch::nn::utils::clip_grad_norm_(m_optim->all, o.gradClip);
        m_optim->adamw->step();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        elapsed += seconds;

        TrainStepReport r;
        r.step = step + 1;
        r.steps = o.steps;
        r.loss = loss.item<double>();
        r.crossEntropy = ce.item<double>();
        r.auxLoss = aux.item<double>();
        r.lr = lr;
        r.gradNorm = gradNorm;
        r.tokensPerSecond = static_cast<double>(o.batchSize * o.seqLen) / seconds;
        if (!std::isfinite(r.loss))
            fail("training diverged at step {} (loss {}); lower the learning rate", r.step, r.loss);
        if (r.step % o.evalEvery == 0 || r.step == o.steps) {
            r.validLoss = evaluate(valid, o.evalBlocks);
            m_log["evals"].push_back({{"step", r.step}, {"valid_loss", *r.validLoss}});
        }
        r.elapsedSeconds = elapsed;
        if (r.step % 10 == 0 || r.step == 1)
            m_log["steps"].push_back({{"step", r.step}, {"loss", r.crossEntropy}, {"aux", r.auxLoss}, {"lr", lr},
                                      {"grad_norm", gradNorm}, {"elapsed", elapsed}});
        const bool keepGoing = !onStep || onStep(r);
        if (r.step % o.checkpointEvery == 0 || r.step == o.steps || !keepGoing) {
            saveState(r.step, elapsed);
            r.checkpointed = true;
        }
        if (!keepGoing)
            throw Cancelled();
        summary.finalValidLoss = r.validLoss.value_or(summary.finalValidLoss);
    }
    if (start >= o.steps)
        summary.finalValidLoss = evaluate(valid, o.evalBlocks);
    summary.steps = o.steps;
    summary.tokens = o.steps * o.batchSize * o.seqLen;
    summary.seconds = elapsed;
    summary.log = m_log;
    summary.log["summary"] = {{"steps", summary.steps}, {"tokens", summary.tokens}, {"seconds", elapsed},
                              {"valid_loss", summary.finalValidLoss}};
    return summary;
}

} // namespace moewb
