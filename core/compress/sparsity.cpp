// Wanda and SparseGPT on one matrix (sparsity.h).
#include "core/compress/sparsity.h"

#include "core/io/error.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>
#include <cstdio>

namespace moewb {

namespace {

// Indices of the `count` smallest entries along the last dimension, ties to the lower index.
torch::Tensor smallest(const torch::Tensor& scores, int64_t count)
{
    auto order = std::get<1>(torch::sort(scores, /*stable=*/true, /*dim=*/-1, /*descending=*/false));
    return order.narrow(-1, 0, count);
}

void checkMatrix(const torch::Tensor& weight, const char* what)
{
    if (weight.dim() != 2)
        fail("{}: expected a matrix [out, in], got {} dimensions", what, weight.dim());
}

void checkGroups(int64_t columns, const SparsityPattern& pattern, const char* what)
{
    if (pattern.structured() && columns % pattern.m != 0)
        fail("{}: {} input columns are not a multiple of M = {} ({} sparsity)", what, columns, pattern.m,
             pattern.name());
}

} // namespace

std::string SparsityPattern::name() const
{
    return structured() ? fmt::format("{}:{}", n, m) : std::string("unstructured");
}

SparsityPattern SparsityPattern::parse(const std::string& pattern, double sparsity)
{
    SparsityPattern p;
    if (pattern == "unstructured") {
        if (!(sparsity >= 0.0 && sparsity < 1.0))
            fail("sparsity {} is outside [0, 1)", sparsity);
        p.sparsity = sparsity;
        return p;
    }
    int n = 0, m = 0;
    char tail = 0;
    if (std::sscanf(pattern.c_str(), "%d:%d%c", &n, &m, &tail) != 2 || n <= 0 || m <= n)
        fail("sparsity pattern '{}' is neither 'unstructured' nor 'N:M' with 0 < N < M", pattern);
    p.n = n;
    p.m = m;
    p.sparsity = double(n) / m;
    return p;
}

torch::Tensor wandaScores(const torch::Tensor& weight, const torch::Tensor& inputNorms)
{
    checkMatrix(weight, "Wanda");
    if (inputNorms.dim() != 1 || inputNorms.size(0) != weight.size(1))
        fail("Wanda: {} input norms for a matrix with {} input columns", inputNorms.numel(), weight.size(1));
    return weight.to(torch::kDouble).abs() * inputNorms.to(weight.device(), torch::kDouble).unsqueeze(0);
}

torch::Tensor wandaMask(const torch::Tensor& weight, const torch::Tensor& inputNorms, const SparsityPattern& pattern)
{
    const auto scores = wandaScores(weight, inputNorms);
    const int64_t rows = weight.size(0), cols = weight.size(1);
    checkGroups(cols, pattern, "Wanda");
    auto keep = torch::ones({rows, cols}, torch::TensorOptions().dtype(torch::kBool).device(weight.device()));
    if (pattern.structured()) {
        auto groups = scores.view({rows, cols / pattern.m, pattern.m});
        keep.view({rows, cols / pattern.m, pattern.m}).scatter_(2, smallest(groups, pattern.n), false);
    } else {
        const auto count = static_cast<int64_t>(std::floor(double(cols) * pattern.sparsity));
        if (count > 0)
            keep.scatter_(1, smallest(scores, count), false);
    }
    return keep;
}

torch::Tensor inputColumnNorms(const torch::Tensor& x)
{
    return x.to(torch::kDouble).square().sum(0).sqrt();
}

torch::Tensor inputHessian(const torch::Tensor& x)
{
    const auto xd = x.to(torch::kDouble);
    if (x.size(0) == 0)
        return torch::zeros({x.size(1), x.size(1)}, xd.options());
    return xd.t().matmul(xd) * (2.0 / double(x.size(0)));
}

SparseGptResult sparseGpt(const torch::Tensor& weight, const torch::Tensor& hessian, const SparsityPattern& pattern,
                          const SparseGptOptions& options)
{
    checkMatrix(weight, "SparseGPT");
    const int64_t rows = weight.size(0), cols = weight.size(1);
    if (hessian.dim() != 2 || hessian.size(0) != cols || hessian.size(1) != cols)
        fail("SparseGPT: a Hessian of shape [{}] for a matrix with {} input columns", fmt::join(hessian.sizes(), ", "),
             cols);
    const bool fixed = options.fixedMask.defined();
    if (fixed && (options.fixedMask.size(0) != rows || options.fixedMask.size(1) != cols))
        fail("SparseGPT: the fixed mask is [{}], the matrix [{}, {}]", fmt::join(options.fixedMask.sizes(), ", "), rows,
             cols);
    if (!fixed)
        checkGroups(cols, pattern, "SparseGPT");
    int64_t blockSize = std::max<int64_t>(1, options.blockSize);
    if (pattern.structured() && !fixed)
        blockSize = std::max<int64_t>(pattern.m, blockSize / pattern.m * pattern.m);

    torch::NoGradGuard noGrad;
    auto W = weight.to(torch::kDouble).clone();
    auto H = hessian.to(weight.device(), torch::kDouble).clone();
    if (H.abs().max().item<double>() == 0.0)
        H = torch::eye(cols, W.options());
    auto diag = H.diagonal();
    diag.masked_fill_(diag == 0, 1.0);  // inputs never seen: independent, unit curvature
    diag.add_(options.damping * diag.mean().item<double>());
    auto Hinv = torch::cholesky_inverse(torch::linalg_cholesky(H));
    Hinv = torch::linalg_cholesky(Hinv, /*upper=*/true);

    auto prune = torch::zeros({rows, cols}, torch::TensorOptions().dtype(torch::kBool).device(W.device()));
    if (fixed)
        prune = options.fixedMask.to(W.device(), torch::kBool).logical_not();
    for (int64_t i1 = 0; i1 < cols; i1 += blockSize) {
        const int64_t i2 = std::min(i1 + blockSize, cols), count = i2 - i1;
        auto W1 = W.slice(1, i1, i2).clone();
        auto Q1 = torch::zeros_like(W1);
        auto Err1 = torch::zeros_like(W1);
        auto Hinv1 = Hinv.slice(0, i1, i2).slice(1, i1, i2);
        auto d1 = Hinv1.diagonal();
        auto prune1 = prune.slice(1, i1, i2);  // a view: selections land in `prune`
        if (!fixed && !pattern.structured()) {
            const auto k = static_cast<int64_t>(std::floor(double(rows * count) * pattern.sparsity));
            if (k > 0) {
                auto tmp = (W1.square() / d1.square().unsqueeze(0)).reshape({-1});
                auto flat = torch::zeros({rows * count}, prune1.options());
                flat.index_fill_(0, smallest(tmp, k), true);
                prune1.copy_(flat.view({rows, count}));
            }
        }
        for (int64_t i = 0; i < count; ++i) {
            if (!fixed && pattern.structured() && i % pattern.m == 0) {
                auto tmp = W1.slice(1, i, i + pattern.m).square() / d1.slice(0, i, i + pattern.m).square().unsqueeze(0);
                prune1.slice(1, i, i + pattern.m).scatter_(1, smallest(tmp, pattern.n), true);
            }
            auto w = W1.select(1, i);
            const double d = Hinv1[i][i].item<double>();
            auto q = w.masked_fill(prune1.select(1, i), 0.0);
            Q1.select(1, i).copy_(q);
            auto err = (w - q) / d;
            W1.slice(1, i).sub_(err.unsqueeze(1).matmul(Hinv1.select(0, i).slice(0, i).unsqueeze(0)));
            Err1.select(1, i).copy_(err);
        }
        W.slice(1, i1, i2).copy_(Q1);
        if (i2 < cols)
            W.slice(1, i2).sub_(Err1.matmul(Hinv.slice(0, i1, i2).slice(1, i2)));
    }
    return {W.to(weight.scalar_type()), prune.logical_not()};
}

} // namespace moewb
