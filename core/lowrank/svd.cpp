// Plain and activation-aware (whitened) truncated SVD of expert matrices (svd.h).
#include "core/lowrank/svd.h"

#include "core/io/error.h"

#include <torch/types.h>

#include <map>

namespace moewb {

namespace {

// Lower Cholesky factor of gram + lambda I, with the smallest lambda of 0, 1e-8, 1e-7, ... (relative
// to the mean diagonal) that succeeds.
std::pair<torch::Tensor, double> whitening(const torch::Tensor& gram)
{
    const int64_t n = gram.size(0);
    const double scale = std::max(gram.diagonal().mean().item<double>(), 1e-300);
    const auto eye = torch::eye(n, gram.options());
    double lambda = 0.0;
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto [l, info] = torch::linalg_cholesky_ex(lambda > 0 ? gram + eye * lambda : gram);
        if (info.item<int64_t>() == 0)
            return {l, lambda};
        lambda = lambda == 0.0 ? 1e-8 * scale : lambda * 10;
    }
    fail("activation-aware SVD: the input second moment stays indefinite after adding {:.3g} to its diagonal", lambda);
}

} // namespace

std::pair<torch::Tensor, torch::Tensor> plainSvdFactors(const torch::Tensor& w, int64_t rank)
{
    if (w.dim() != 2 || rank < 1 || rank > std::min(w.size(0), w.size(1)))
        fail("SVD: rank {} outside [1, {}]", rank, w.dim() == 2 ? std::min(w.size(0), w.size(1)) : 0);
    auto [u, s, vh] = torch::linalg_svd(w.to(torch::kCPU, torch::kDouble), false);
    auto a = u.narrow(1, 0, rank) * s.narrow(0, 0, rank).unsqueeze(0);
    auto b = vh.narrow(0, 0, rank);
    return {a.to(w.device(), w.scalar_type()).contiguous(), b.to(w.device(), w.scalar_type()).contiguous()};
}

MatrixFactors activationAwareFactors(const torch::Tensor& w, const torch::Tensor& gram, int64_t tokens, int64_t rank)
{
    return factorMatrices({FactorJob{w, gram, tokens, rank, SvdMode::ActivationAware}}).front();
}

std::vector<MatrixFactors> factorMatrices(const std::vector<FactorJob>& jobs)
{
    std::vector<MatrixFactors> out(jobs.size());
    // Whitened (or plain) matrices, grouped by shape for one batched SVD each.
    std::vector<torch::Tensor> target(jobs.size()), whiten(jobs.size());
    std::map<std::pair<int64_t, int64_t>, std::vector<size_t>> groups;
    for (size_t i = 0; i < jobs.size(); ++i) {
        const FactorJob& j = jobs[i];
        if (j.rank < 1 || j.rank > std::min(j.w.size(0), j.w.size(1)))
            fail("SVD: rank {} outside [1, {}]", j.rank, std::min(j.w.size(0), j.w.size(1)));
        auto w = j.w.to(torch::kCPU, torch::kDouble);
        const bool aware = j.mode == SvdMode::ActivationAware && j.gram.defined() && j.tokens >= w.size(1);
        if (aware) {
            auto gram = j.gram.to(torch::kCPU, torch::kDouble);
            auto [l, lambda] = whitening(gram);
            whiten[i] = l;
            out[i].used = SvdMode::ActivationAware;
            out[i].jitter = lambda;
            target[i] = torch::matmul(w, l);
        } else {
            target[i] = w;
        }
        groups[{w.size(0), w.size(1)}].push_back(i);
    }
    for (const auto& [shape, members] : groups) {
        std::vector<torch::Tensor> stack;
        for (size_t i : members)
            stack.push_back(target[i]);
        auto [u, s, vh] = torch::linalg_svd(torch::stack(stack), false);
        for (size_t k = 0; k < members.size(); ++k) {
            const size_t i = members[k];
            const int64_t r = jobs[i].rank;
            auto a = u[static_cast<int64_t>(k)].narrow(1, 0, r) * s[static_cast<int64_t>(k)].narrow(0, 0, r).unsqueeze(0);
            auto b = vh[static_cast<int64_t>(k)].narrow(0, 0, r);
            if (whiten[i].defined()) // b = V_r^T S^-1, i.e. S^T b^T = V_r
                b = torch::linalg_solve_triangular(whiten[i].t(), b.t(), /*upper=*/true).t();
            const auto& w = jobs[i].w;
            out[i].a = a.to(w.device(), w.scalar_type()).contiguous();
            out[i].b = b.to(w.device(), w.scalar_type()).contiguous();
        }
    }
    return out;
}

double activationError(const torch::Tensor& w, const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& gram)
{
    auto e = w.to(torch::kDouble) - torch::matmul(a.to(torch::kDouble), b.to(torch::kDouble));
    return torch::matmul(torch::matmul(e, gram.to(torch::kDouble)), e.t()).trace().item<double>();
}

} // namespace moewb
