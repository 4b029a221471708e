// Rotary position embeddings: default (NeoX half split) and YaRN frequencies; half-split or
// interleaved pairs (DeepSeek-V2 MLA). Maths: shared/docs/checkpoints.md.
#pragma once
#include "core/io/model_spec.h"

#include <torch/types.h>

namespace moewb {

class Rope {
public:
    // `dim` = rotated dims per head.
    Rope(const RopeSpec& spec, int dim, int maxPositionEmbeddings);

    int dim() const { return m_dim; }
    const torch::Tensor& invFreq() const { return m_invFreq; }  // [dim/2] fp32
    double attentionScaling() const { return m_attentionScaling; }
    bool interleaved() const { return m_interleaved; }

    // cos, sin of shape [B, T, dim] for positions [B, T], computed in fp32 and cast to `dtype`.
    std::pair<torch::Tensor, torch::Tensor> cosSin(const torch::Tensor& positions, torch::ScalarType dtype) const;
    // Rotates x [B, H, T, dim]. Interleaved inputs are first de-interleaved (pairs (2i, 2i+1) -> i,
    // i + dim/2), as DeepSeek's reference does; q and k get the same permutation, so q.k is exact.
    torch::Tensor apply(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const;

private:
    int m_dim = 0;
    bool m_interleaved = false;
    double m_attentionScaling = 1.0;
    torch::Tensor m_invFreq;
};

// yarn_get_mscale: 0.1 * m * ln(s) + 1 for s > 1, else 1.
double yarnMscale(double scale, double m);

} // namespace moewb
