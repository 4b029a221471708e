// Expert slimming kernels (methods.md §2, seed 001): Wanda and SparseGPT on one weight matrix,
// given what its input looked like on the calibration tokens. Pure tensor functions, no model: the
// layer pass (slimming.h) gathers each expert's routed tokens and calls these.
//
// Conventions: W is [out, in] (y = x W^T); a keep mask is bool [out, in], true = weight kept (what
// the plan's u8 mask stores: 1 keeps, 0 zeroes). "N:M" prunes N weights in every group of M
// consecutive input columns of a row (2:4 keeps half), as the Wanda and SparseGPT reference code's
// prune_n / prune_m do.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <string>

namespace moewb {

struct SparsityPattern {
    double sparsity = 0.5; // fraction pruned when unstructured (N:M implies N/M)
    int n = 0, m = 0;      // N:M when m > 0

    bool structured() const { return m > 0; }
    double fraction() const { return structured() ? double(n) / m : sparsity; }
    std::string name() const; // "unstructured" or "2:4" (the plan's SparsifyMatrix::pattern)
    // "unstructured" (with `sparsity`) or "N:M" (0 < N < M); throws moewb::Error otherwise.
    static SparsityPattern parse(const std::string& pattern, double sparsity);
};

// Wanda's score |W_ij| * ||X_j||_2 and mask: unstructured prunes floor(in * sparsity) weights of
// every output row (lowest scores, ties to the lower column); N:M prunes the N lowest of each group.
// `inputNorms` [in] are the column norms of the matrix's input over the calibration tokens.
torch::Tensor wandaScores(const torch::Tensor& weight, const torch::Tensor& inputNorms);
torch::Tensor wandaMask(const torch::Tensor& weight, const torch::Tensor& inputNorms, const SparsityPattern& pattern);

// ||X_j||_2 over the rows of x [n, in], in float64.
torch::Tensor inputColumnNorms(const torch::Tensor& x);
// H = 2/n X^T X over the rows of x [n, in], in float64 (SparseGPT's Hessian; zero when n = 0).
torch::Tensor inputHessian(const torch::Tensor& x);

struct SparseGptOptions {
    int64_t blockSize = 128;   // columns per lazy batch (rounded down to a multiple of M for N:M)
    double damping = 0.01;     // H += damping * mean(diag H) * I
    // Optional fixed keep mask [out, in]: no selection, only the OBS updates (tests, reapplying).
    torch::Tensor fixedMask;
};

struct SparseGptResult {
    torch::Tensor weight; // pruned and updated W (zeros where the mask drops), the input's dtype
    torch::Tensor keep;   // bool [out, in]
};

// SparseGPT (Frantar & Alistarh 2023) as its reference fasterprune: columns in lazy batches of
// blockSize; within a batch, each pruned weight's error is spread over the not-yet-processed columns
// of its row through the upper Cholesky factor U of H^-1 = U^T U (OBS: row j of U is row j of the
// inverse of H restricted to columns j.. , scaled). Masks are chosen adaptively: per batch the
// floor(rows * cols * sparsity) lowest w^2 / U_jj^2 (unstructured), or the N lowest of every group of
// M as the batch reaches it (N:M). Computed in float64.
// Choices: columns that never saw input (diag H = 0) get H_jj = 1 and keep their weights (the
// reference zeroes them); H = 0 altogether (an expert no calibration token reached) becomes I, which
// is magnitude pruning without updates. The reference's unstructured threshold (`<=` the value at
// index floor(count * sparsity)) prunes one weight more than asked; this prunes exactly the count.
SparseGptResult sparseGpt(const torch::Tensor& weight, const torch::Tensor& hessian, const SparsityPattern& pattern,
                          const SparseGptOptions& options = {});

} // namespace moewb
