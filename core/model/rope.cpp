#include "core/model/rope.h"

#include "core/io/error.h"

#include <torch/types.h>
#include <cmath>

namespace moewb {

double yarnMscale(double scale, double m)
{
    return scale <= 1.0 ? 1.0 : 0.1 * m * std::log(scale) + 1.0;
}

namespace {

double correctionDim(double rotations, int dim, double base, double maxPositions)
{
    return (dim * std::log(maxPositions / (rotations * 2.0 * M_PI))) / (2.0 * std::log(base));
}

} // namespace

Rope::Rope(const RopeSpec& spec, int dim, int maxPositionEmbeddings) : m_dim(dim), m_interleaved(spec.interleaved)
{
    if (dim <= 0 || dim % 2 != 0)
        fail("rotary dimension {} must be positive and even", dim);
    // inv_freq_i = theta^(-2i/d), computed as the reference does: exponent in fp32.
    auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat) / static_cast<float>(dim);
    auto posFreqs = torch::pow(static_cast<float>(spec.theta), exponents);
    auto extrapolation = 1.0 / posFreqs;
    if (spec.type == "default" || spec.type.empty()) {
        m_invFreq = extrapolation;
    } else if (spec.type == "linear") {
        m_invFreq = extrapolation / spec.factor;
    } else if (spec.type == "yarn") {
        const double factor = spec.factor;
        const int original = spec.originalMaxPositionEmbeddings > 0 ? spec.originalMaxPositionEmbeddings
                                                                    : maxPositionEmbeddings;
        auto interpolation = 1.0 / (factor * posFreqs);
        double low = std::floor(correctionDim(spec.betaFast, dim, spec.theta, original));
        double high = std::ceil(correctionDim(spec.betaSlow, dim, spec.theta, original));
        low = std::max(low, 0.0);
        high = std::min(high, static_cast<double>(dim - 1));
        if (low == high)
            high += 0.001;
        auto ramp = ((torch::arange(dim / 2, torch::kFloat) - low) / (high - low)).clamp(0.0, 1.0);
        auto extrapolationFactor = 1.0 - ramp;
        m_invFreq = interpolation * (1.0 - extrapolationFactor) + extrapolation * extrapolationFactor;
        // Attention factor on cos/sin: mscale(f, mscale) / mscale(f, mscale_all_dim) when both set.
        if (spec.attentionFactor)
            m_attentionScaling = *spec.attentionFactor;
        else if (spec.mscale != 0.0 && spec.mscaleAllDim != 0.0)
            m_attentionScaling = yarnMscale(factor, spec.mscale) / yarnMscale(factor, spec.mscaleAllDim);
        else
            m_attentionScaling = yarnMscale(factor, 1.0);
    } else {
        fail("RoPE scaling type '{}' is not supported (supported: default, linear, yarn)", spec.type);
    }
    m_invFreq = m_invFreq.to(torch::kFloat).contiguous();
}

std::pair<torch::Tensor, torch::Tensor> Rope::cosSin(const torch::Tensor& positions, torch::ScalarType dtype) const
{
    auto inv = m_invFreq.to(positions.device());
    auto freqs = positions.to(torch::kFloat).unsqueeze(-1) * inv;  // [B, T, dim/2]
    auto emb = torch::cat({freqs, freqs}, -1);
    auto cos = emb.cos() * m_attentionScaling;
    auto sin = emb.sin() * m_attentionScaling;
    return {cos.to(dtype), sin.to(dtype)};
}

torch::Tensor Rope::apply(const torch::Tensor& input, const torch::Tensor& cos, const torch::Tensor& sin) const
{
    auto x = input;
    const auto sizes = x.sizes().vec();
    if (m_interleaved) {
        std::vector<int64_t> pairs(sizes.begin(), sizes.end() - 1);
        pairs.push_back(m_dim / 2);
        pairs.push_back(2);
        x = x.reshape(pairs).transpose(-1, -2).reshape(sizes);
    }
    auto x1 = x.narrow(-1, 0, m_dim / 2);
    auto x2 = x.narrow(-1, m_dim / 2, m_dim / 2);
    auto rotated = torch::cat({-x2, x1}, -1);
    auto c = cos.unsqueeze(1);  // broadcast over heads
    auto s = sin.unsqueeze(1);
    return x * c + rotated * s;
}

} // namespace moewb
