// The Expert Slimming layer pass (slimming.h).
#include "core/compress/slimming.h"

#include "core/io/error.h"
#include "core/io/tensor_layout.h"
#include "core/pipeline/compute_counter.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace moewb {

std::string slimMethodName(SlimMethod method)
{
    return method == SlimMethod::SparseGpt ? "sparsegpt" : "wanda";
}

std::string slimmingTensorPrefix(const std::string& planName)
{
    std::string out = planName;
    for (char& c : out)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            c = '-';
    return out;
}

std::string maskKey(int layer, int expert, Proj matrix)
{
    const std::string owner = expert < 0 ? std::string("shared") : fmt::format("expert{:02}", expert);
    return fmt::format("layer{:02}/{}/{}", layer, owner, matrixName(matrix));
}

namespace {

class Slimmer {
public:
    Slimmer(const ModelSpec& spec, const SlimmingOptions& options, const TensorSink& sink, SlimmingResult& result)
        : m_spec(spec)
        , m_options(options)
        , m_sink(sink)
        , m_result(result)
        , m_existing(options.existingMasks.begin(), options.existingMasks.end())
    {
        m_prefix = options.tensorPrefix;
        if (m_prefix.empty()) {
            m_prefix = slimMethodName(options.method) + "-" + options.pattern.name();
            if (!options.pattern.structured())
                m_prefix += fmt::format("-{}", options.pattern.sparsity);
        }
        std::replace(m_prefix.begin(), m_prefix.end(), ':', '-');
    }

    // Prunes the three matrices of one expert MLP given its input tokens x [n_e, d].
    void expert(int layer, int expert, SwiGlu& mlp, const torch::Tensor& x)
    {
        // Every matrix sees the unpruned expert's inputs, as the reference's hooks do.
        const auto hidden = x.size(0) > 0 ? torch::silu(mlp.gate(x)) * mlp.up(x)
                                          : torch::zeros({0, mlp.down.inFeatures()}, x.options());
        matrix(layer, expert, Proj::Gate, mlp.gate, x);
        matrix(layer, expert, Proj::Up, mlp.up, x);
        matrix(layer, expert, Proj::Down, mlp.down, hidden);
    }

private:
    void matrix(int layer, int expert, Proj proj, Linear& linear, const torch::Tensor& x)
    {
        const std::string key = maskKey(layer, expert, proj);
        if (linear.factored())
            return m_result.skipped.push_back(key + ": factored (a mask over a dense matrix does not apply)");
        if (m_existing.count(key))
            return m_result.skipped.push_back(key + ": already masked by an earlier plan");
        const auto& w = linear.weight;
        torch::Tensor keep, updated;
        if (m_options.method == SlimMethod::Wanda) {
            auto norms = x.size(0) > 0 ? inputColumnNorms(x) : torch::ones({w.size(1)}, torch::kDouble);
            keep = wandaMask(w, norms, m_options.pattern);
            updated = w * keep.to(w.scalar_type());
        } else {
            auto result = sparseGpt(w, inputHessian(x), m_options.pattern, m_options.sparseGpt);
            keep = result.keep;
            updated = result.weight;
        }
        const std::string maskName = "masks/" + m_prefix + "/" + key;
        const int64_t kept = keep.sum().item<int64_t>();
        m_sink(maskName, keep.to(torch::kCPU, torch::kUInt8).contiguous());
        m_result.plan.steps.push_back(SparsifyMatrix{layer, expert, proj, m_options.pattern.name(), maskName, kept});
        if (m_options.method == SlimMethod::SparseGpt) {
            const std::string deltaName = "deltas/" + m_prefix + "/" + key;
            auto delta = (updated - w * keep.to(w.scalar_type())).to(torch::kCPU, torch::kFloat).contiguous();
            m_sink(deltaName, delta);
            const std::string parameter =
                expert < 0 ? sharedExpertProjName(m_spec, layer, proj) : expertProjName(m_spec, layer, expert, proj);
            m_result.plan.steps.push_back(ApplyDelta{parameter, DeltaKind::Dense, {deltaName}, 1.0});
        }
        linear.weight = updated;
        m_result.matrices += 1;
        m_result.weights += w.numel();
        m_result.keptWeights += kept;
    }

    const ModelSpec& m_spec;
    const SlimmingOptions& m_options;
    const TensorSink& m_sink;
    SlimmingResult& m_result;
    std::set<std::string> m_existing;
    std::string m_prefix;
};

} // namespace

SlimmingResult slimExperts(const MoeModel& model, const torch::Tensor& blocks, const SlimmingOptions& options,
                           const TensorSink& sink)
{
    if (blocks.dim() != 2 || blocks.size(0) == 0 || blocks.size(1) < 1)
        fail("calibration blocks must be [n, s] token ids with n >= 1, got {} dims", blocks.dim());
    if (!sink)
        fail("Expert Slimming needs somewhere to put its masks");
    const auto& spec = model.spec();
    const auto moeLayers = spec.moeLayerIndices();
    SlimmingResult result;
    result.plan.method = slimMethodName(options.method);
    result.plan.parameters = {{"sparsity", options.pattern.fraction()}, {"pattern", options.pattern.name()},
                              {"shared_experts", options.sharedExperts}, {"order", "sequential"}};
    if (options.method == SlimMethod::SparseGpt) {
        result.plan.parameters["block_size"] = options.sparseGpt.blockSize;
        result.plan.parameters["damping"] = options.sparseGpt.damping;
    }
    if (moeLayers.empty())
        return result;
    Slimmer slimmer(spec, options, sink, result);
    torch::NoGradGuard noGrad;
    const int64_t n = blocks.size(0), s = blocks.size(1), d = spec.hiddenSize;
    const int64_t rowsPerChunk = std::max<int64_t>(1, options.batchTokens / s);
    const int last = moeLayers.back() + 1;
    auto report = [&](double fraction) {
        if (options.progress && !options.progress(std::clamp(fraction, 0.0, 1.0)))
            throw Cancelled();
    };
    torch::Tensor h = model.embed(blocks);
    for (int i = 0; i < last; ++i) {
        auto w = model.layer(i);
        std::vector<torch::Tensor> outputs, residuals, inputs, ids;
        bool moeRan = false;
        for (int64_t row = 0; row < n; row += rowsPerChunk) {
            const int64_t rows = std::min(rowsPerChunk, n - row);
            countCompute("layer_chunks"); // tests: the batch tokens reached the pass
            LayerTrace trace;
            outputs.push_back(model.runLayer(w, h.narrow(0, row, rows), model.attentionContext({}, rows, s), nullptr, &trace));
            if (trace.moe) {
                moeRan = true;
                residuals.push_back(trace.residual);
                inputs.push_back(trace.mlpInput);
                if (trace.moe->routing.ids.defined())
                    ids.push_back(trace.moe->routing.ids);
            }
            report((i + 0.5 * double(row + rows) / n) / last);
        }
        if (!moeRan) {
            h = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 0);
        } else {
            outputs.clear();
            MoeWeights& moe = *w.moe;
            const auto x = torch::cat(inputs, 0);
            inputs.clear();
            const auto routed = ids.empty() ? torch::Tensor() : torch::cat(ids, 0);
            const auto experts = static_cast<int64_t>(moe.experts.size());
            for (int64_t j = 0; j < experts; ++j) {
                torch::Tensor xe = x;
                if (!moe.condensed) {
                    auto tokens = (routed == j).any(1).nonzero().squeeze(1);
                    xe = x.index_select(0, tokens);
                }
                if (xe.size(0) == 0)
                    ++result.expertsWithoutTokens;
                slimmer.expert(i, moe.expertIds[static_cast<size_t>(j)], moe.experts[static_cast<size_t>(j)], xe);
                report((i + 0.5 + 0.5 * double(j + 1) / double(experts + 1)) / last);
            }
            if (options.sharedExperts && moe.shared)
                slimmer.expert(i, -1, *moe.shared, x);
            // The slimmed layer's output: h + MoE(norm h) with the new experts (attention is unchanged).
            const auto& layerSpec = spec.layers[static_cast<size_t>(i)];
            const int64_t chunk = rowsPerChunk * s;
            std::vector<torch::Tensor> ys;
            for (int64_t t = 0; t < x.size(0); t += chunk)
                ys.push_back(moeForward(spec, layerSpec, moe, x.narrow(0, t, std::min(chunk, x.size(0) - t))));
            h = torch::cat(residuals, 0) + torch::cat(ys, 0).view({n, s, d});
        }
        if (!model.resident())
            model.releaseLayerPages(i);
        report(double(i + 1) / last);
    }
    return result;
}

} // namespace moewb
