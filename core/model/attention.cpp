#include "core/model/attention.h"

#include "core/model/ops.h"

#include <torch/types.h>
#include <cmath>

namespace moewb {

namespace {

int rotaryDim(const ModelSpec& spec)
{
    if (spec.rope.rotaryDim > 0)
        return spec.rope.rotaryDim;
    return spec.attention.kind == AttentionKind::Mla ? spec.attention.qkRopeHeadDim : spec.attention.headDim;
}

} // namespace

Attention::Attention(const ModelSpec& spec)
    : m_spec(spec), m_rope(spec.rope, rotaryDim(spec), spec.maxPositionEmbeddings)
{
    const auto& a = spec.attention;
    m_scale = 1.0 / std::sqrt(static_cast<double>(a.qHeadDim()));
    // DeepSeek-V2 YaRN: softmax scale *= mscale(factor, mscale_all_dim)^2.
    if (a.kind == AttentionKind::Mla && spec.rope.type == "yarn" && spec.rope.mscaleAllDim != 0.0) {
        const double m = yarnMscale(spec.rope.factor, spec.rope.mscaleAllDim);
        m_scale *= m * m;
    }
}

AttentionContext Attention::context(const torch::Tensor& attentionMask, int64_t batch, int64_t length,
                                    torch::ScalarType dtype, const torch::Device& device) const
{
    AttentionContext ctx;
    ctx.mask = causalMask(batch, length, attentionMask, dtype, device);
    auto positions = torch::arange(length, torch::TensorOptions().dtype(torch::kInt64).device(device))
                         .unsqueeze(0)
                         .expand({batch, length});
    std::tie(ctx.cos, ctx.sin) = m_rope.cosSin(positions, dtype);
    return ctx;
}

torch::Tensor Attention::forward(const AttentionWeights& w, const torch::Tensor& x, const AttentionContext& ctx) const
{
    return m_spec.attention.kind == AttentionKind::Mla ? mla(w, x, ctx) : gqa(w, x, ctx);
}

torch::Tensor Attention::attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const AttentionContext& ctx) const
{
    // q [B,H,T,Dq], k [B,H,T,Dq], v [B,H,T,Dv]; softmax in fp32 as the reference does.
    auto scores = torch::matmul(q, k.transpose(2, 3)) * m_scale + ctx.mask;
    const auto accType = q.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
    auto probs = torch::softmax(scores, -1, accType).to(q.scalar_type());
    return torch::matmul(probs, v);
}

torch::Tensor Attention::gqa(const AttentionWeights& w, const torch::Tensor& x, const AttentionContext& ctx) const
{
    const auto& a = m_spec.attention;
    const int64_t B = x.size(0), T = x.size(1);
    auto q = w.q(x);
    auto k = w.k(x);
    auto v = w.v(x);
    if (a.qkNorm == QkNorm::Full) {
        q = rmsNorm(q, w.qNorm, m_spec.rmsNormEps);
        k = rmsNorm(k, w.kNorm, m_spec.rmsNormEps);
    }
    if (a.clipQkv) {
        const double c = *a.clipQkv;
        q = q.clamp(-c, c);
        k = k.clamp(-c, c);
        v = v.clamp(-c, c);
    }
    q = q.view({B, T, a.numHeads, a.headDim});
    k = k.view({B, T, a.numKvHeads, a.headDim});
    v = v.view({B, T, a.numKvHeads, a.headDim});
    if (a.qkNorm == QkNorm::PerHead) {
        q = rmsNorm(q, w.qNorm, m_spec.rmsNormEps);
        k = rmsNorm(k, w.kNorm, m_spec.rmsNormEps);
    }
    q = q.transpose(1, 2);
    k = k.transpose(1, 2);
    v = v.transpose(1, 2);
    const int rot = m_rope.dim();
    if (rot == a.headDim) {
        q = m_rope.apply(q, ctx.cos, ctx.sin);
        k = m_rope.apply(k, ctx.cos, ctx.sin);
    } else {  // partial rotary: rotate the first `rot` dims only
        q = torch::cat({m_rope.apply(q.narrow(-1, 0, rot), ctx.cos, ctx.sin), q.narrow(-1, rot, a.headDim - rot)}, -1);
        k = torch::cat({m_rope.apply(k.narrow(-1, 0, rot), ctx.cos, ctx.sin), k.narrow(-1, rot, a.headDim - rot)}, -1);
    }
    const int64_t groups = a.numHeads / a.numKvHeads;
    if (groups > 1) {
        k = k.repeat_interleave(groups, 1);
        v = v.repeat_interleave(groups, 1);
    }
    auto out = attend(q, k, v, ctx);  // [B,H,T,D]
    out = out.transpose(1, 2).reshape({B, T, a.numHeads * a.headDim});
    return w.o(out);
}

torch::Tensor Attention::mla(const AttentionWeights& w, const torch::Tensor& x, const AttentionContext& ctx) const
{
    const auto& a = m_spec.attention;
    const int64_t B = x.size(0), T = x.size(1);
    const int64_t H = a.numHeads, nope = a.qkNopeHeadDim, rope = a.qkRopeHeadDim, vDim = a.vHeadDim;
    torch::Tensor q = a.qLoraRank > 0 ? w.qB(rmsNorm(w.qA(x), w.qANorm, m_spec.rmsNormEps)) : w.q(x);
    q = q.view({B, T, H, nope + rope}).transpose(1, 2);
    auto qNope = q.narrow(-1, 0, nope);
    auto qPe = q.narrow(-1, nope, rope);

    auto compressed = w.kvA(x);  // [B, T, kv_lora_rank + rope]
    auto ckv = compressed.narrow(-1, 0, a.kvLoraRank);
    auto kPe = compressed.narrow(-1, a.kvLoraRank, rope).view({B, T, 1, rope}).transpose(1, 2);
    auto kv = w.kvB(rmsNorm(ckv, w.kvANorm, m_spec.rmsNormEps)).view({B, T, H, nope + vDim}).transpose(1, 2);
    auto kNope = kv.narrow(-1, 0, nope);
    auto v = kv.narrow(-1, nope, vDim);

    qPe = m_rope.apply(qPe, ctx.cos, ctx.sin);
    kPe = m_rope.apply(kPe, ctx.cos, ctx.sin);
    auto qFull = torch::cat({qNope, qPe}, -1);
    auto kFull = torch::cat({kNope, kPe.expand({B, H, T, rope})}, -1);
    auto out = attend(qFull, kFull, v, ctx);  // [B,H,T,vDim]
    out = out.transpose(1, 2).reshape({B, T, H * vDim});
    return w.o(out);
}

} // namespace moewb
