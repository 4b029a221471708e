// Factoring one expert matrix W [out, in] as W ~ a b (a [out, r], b [r, in]), methods.md 1.5.
//   plain:            truncated SVD of W (a = U_r S_r, b = V_r^T); minimises ||W - a b||_F.
//   activation-aware: SVD-LLM whitening. With G = X^T X the second moment of the matrix's own inputs
//                     (rows of X are the tokens it saw) and G + lambda I = S S^T (Cholesky), the SVD of
//                     W S gives a = U_r S_r and b = V_r^T S^-1, which minimises ||(W - a b) X^T||_F, the
//                     error on the calibration inputs. lambda starts at 0 and grows (1e-8, x10 each try,
//                     relative to the mean diagonal) until G is positive definite. With fewer tokens than
//                     `in` dimensions G is singular by construction and plain SVD is used instead.
// Work is in float64; factors come back in W's dtype and device.
#pragma once
#include "core/plan/plan.h"

#include <torch/types.h>

#include <utility>
#include <vector>

namespace moewb {

struct MatrixFactors {
    torch::Tensor a, b;
    SvdMode used = SvdMode::Plain; // the mode actually used (activation-aware may fall back)
    double jitter = 0.0;           // lambda added to G's diagonal (absolute)
};

// The plain truncated SVD.
std::pair<torch::Tensor, torch::Tensor> plainSvdFactors(const torch::Tensor& w, int64_t rank);

// `gram`: X^T X [in, in] (float64), from `tokens` input rows.
MatrixFactors activationAwareFactors(const torch::Tensor& w, const torch::Tensor& gram, int64_t tokens, int64_t rank);

// Several matrices of one shape at once (batched SVD); gram/tokens may be empty for plain mode.
struct FactorJob {
    torch::Tensor w, gram;
    int64_t tokens = 0;
    int64_t rank = 0;
    SvdMode mode = SvdMode::ActivationAware;
};
std::vector<MatrixFactors> factorMatrices(const std::vector<FactorJob>& jobs);

// ||(W - a b) X^T||_F^2 = tr((W - a b) G (W - a b)^T): the squared output error on the inputs G summarises.
double activationError(const torch::Tensor& w, const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& gram);

} // namespace moewb
