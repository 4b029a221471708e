#!/usr/bin/env python3
"""Independent cross-check of the golden sets (never run in CI).

Re-implements every architecture from docs/checkpoints.md in plain float64
torch (no transformers import), reading only config.json + model.safetensors of
each golden set (both per-expert and fused expert layouts), and compares with
golden.safetensors. Agreement is limited to ~1e-6 because transformers itself
rounds some steps to float32 (RMSNorm, attention softmax, RoPE tables, router
softmax) even in a float64 model; the expert choice must match exactly.

    .venv-ref/bin/python tests/reference/check_golden_independent.py
"""

from __future__ import annotations

import json
import math
import os
import sys

import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")


def rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def silu_mlp(x, g, u, d):
    return torch.nn.functional.silu(x @ g.T) * (x @ u.T) @ d.T


def rot_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


def neox_rope(x, pos, inv_freq, scale=1.0):
    f = pos[:, None].double() * inv_freq[None, :]
    emb = torch.cat([f, f], -1)
    return x * (emb.cos() * scale) + rot_half(x) * (emb.sin() * scale)


def interleaved_rope(x, pos, inv_freq, scale=1.0):
    f = pos[:, None].double() * inv_freq[None, :]
    c, s = f.cos() * scale, f.sin() * scale
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], -1)
    return out.flatten(-2)


def attention(q, k, v, mask, scale):
    """q [B,H,T,dq], k [B,Hk,T,dq], v [B,Hk,T,dv]; mask [B,T] (1 valid)."""
    H, Hk = q.shape[1], k.shape[1]
    k = k.repeat_interleave(H // Hk, dim=1)
    v = v.repeat_interleave(H // Hk, dim=1)
    T = q.shape[2]
    s = (q @ k.transpose(-1, -2)) * scale
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    allowed = causal[None, None] & (mask[:, None, None, :] > 0)
    s = s.masked_fill(~allowed, float("-inf"))
    return torch.softmax(s, -1) @ v


class W:
    def __init__(self, d):
        self.sd = {k: v.double() for k, v in load_file(os.path.join(d, "model.safetensors")).items()}

    def __call__(self, k):
        return self.sd[k]

    def expert(self, prefix, e, names=("gate_proj", "up_proj", "down_proj")):
        fused = f"{prefix}.gate_up_proj"
        if fused in self.sd:
            gu = self.sd[fused][e]
            f = gu.shape[0] // 2
            return gu[:f], gu[f:], self.sd[f"{prefix}.down_proj"][e]
        return tuple(self.sd[f"{prefix}.{e}.{n}.weight"] for n in names)


def route(logits, c, arch):
    probs = torch.softmax(logits, -1)
    k = c["num_experts_per_tok"]
    if arch == "deepseek_v2" and c.get("topk_method") == "group_limited_greedy":
        n, e = probs.shape
        ng, tg = c["n_group"], c["topk_group"]
        gs = probs.view(n, ng, e // ng).max(-1).values
        gi = gs.topk(tg, -1).indices
        gm = torch.zeros_like(gs).scatter_(1, gi, 1.0)
        probs = probs * gm.unsqueeze(-1).expand(n, ng, e // ng).reshape(n, e)
    w, ids = probs.topk(k, -1)
    if arch == "mixtral" or (arch in ("qwen2_moe", "qwen3_moe", "olmoe", "deepseek") and c.get("norm_topk_prob")):
        w = w / w.sum(-1, keepdim=True)
    if arch == "deepseek_v2":
        w = w * c["routed_scaling_factor"]
    return ids, w


def moe(x, W_, li, c, arch, rec):
    n_exp = c.get("num_local_experts") or c.get("num_experts") or c.get("n_routed_experts")
    if arch == "mixtral":
        pre, names = f"model.layers.{li}.block_sparse_moe", ("w1", "w3", "w2")
    else:
        pre, names = f"model.layers.{li}.mlp", ("gate_proj", "up_proj", "down_proj")
    logits = x @ W_(f"{pre}.gate.weight").T
    ids, w = route(logits, c, arch)
    rec[li] = (logits, ids, w)
    out = torch.zeros_like(x)
    for t in range(x.shape[0]):
        for j in range(ids.shape[1]):
            g, u, d = W_.expert(f"{pre}.experts", int(ids[t, j]), names)
            out[t] += w[t, j] * silu_mlp(x[t:t + 1], g, u, d)[0]
    if arch == "qwen2_moe":
        s = silu_mlp(x, W_(f"{pre}.shared_expert.gate_proj.weight"), W_(f"{pre}.shared_expert.up_proj.weight"),
                     W_(f"{pre}.shared_expert.down_proj.weight"))
        out += torch.sigmoid(x @ W_(f"{pre}.shared_expert_gate.weight").T) * s
    if arch in ("deepseek_v2", "deepseek"):
        out += silu_mlp(x, W_(f"{pre}.shared_experts.gate_proj.weight"), W_(f"{pre}.shared_experts.up_proj.weight"),
                        W_(f"{pre}.shared_experts.down_proj.weight"))
    return out


def is_moe(li, c, arch):
    if arch in ("mixtral", "olmoe"):
        return True
    if arch in ("qwen2_moe", "qwen3_moe"):
        return li not in (c.get("mlp_only_layers") or []) and (li + 1) % c["decoder_sparse_step"] == 0
    return li >= c["first_k_dense_replace"] and li % c.get("moe_layer_freq", 1) == 0


def yarn(c):
    rp = c.get("rope_parameters") or c.get("rope_scaling")
    dim, base = c["qk_rope_head_dim"], rp["rope_theta"] if "rope_theta" in rp else c["rope_theta"]
    factor, omax = rp["factor"], rp["original_max_position_embeddings"]

    def cdim(r):
        return dim * math.log(omax / (r * 2 * math.pi)) / (2 * math.log(base))
    low = max(math.floor(cdim(rp["beta_fast"])), 0)
    high = min(math.ceil(cdim(rp["beta_slow"])), dim - 1)
    extra = 1.0 / base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    inter = extra / factor
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low if high != low else 0.001)).clamp(0, 1)
    keep = 1 - ramp
    inv = inter * (1 - keep) + extra * keep

    def ms(s, m):
        return 1.0 if s <= 1 else 0.1 * m * math.log(s) + 1.0
    att = ms(factor, rp["mscale"]) / ms(factor, rp["mscale_all_dim"])
    return inv, att, ms(factor, rp["mscale_all_dim"]) ** 2


def attn_block(x, W_, li, c, arch, mask, pos):
    B, T, d = x.shape
    p = f"model.layers.{li}.self_attn"
    H, Hk = c["num_attention_heads"], c["num_key_value_heads"]
    if arch == "deepseek_v2":
        nope, rope_d, vd, r = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"], c["kv_lora_rank"]
        if c.get("q_lora_rank"):
            q = rms(x @ W_(f"{p}.q_a_proj.weight").T, W_(f"{p}.q_a_layernorm.weight"), 1e-6) @ W_(f"{p}.q_b_proj.weight").T
        else:
            q = x @ W_(f"{p}.q_proj.weight").T
        q = q.view(B, T, H, nope + rope_d).transpose(1, 2)
        q_nope, q_pe = q[..., :nope], q[..., nope:]
        ckv = x @ W_(f"{p}.kv_a_proj_with_mqa.weight").T
        c_kv, k_pe = ckv[..., :r], ckv[..., r:]
        kv = rms(c_kv, W_(f"{p}.kv_a_layernorm.weight"), 1e-6) @ W_(f"{p}.kv_b_proj.weight").T
        kv = kv.view(B, T, H, nope + vd).transpose(1, 2)
        k_nope, v = kv[..., :nope], kv[..., nope:]
        inv, att, mscale2 = yarn(c)
        q_pe = interleaved_rope(q_pe, pos, inv, att)
        k_pe = interleaved_rope(k_pe.view(B, 1, T, rope_d), pos, inv, att).expand(B, H, T, rope_d)
        qq, kk = torch.cat([q_nope, q_pe], -1), torch.cat([k_nope, k_pe], -1)
        o = attention(qq, kk, v, mask, (nope + rope_d) ** -0.5 * mscale2)
        return o.transpose(1, 2).reshape(B, T, H * vd) @ W_(f"{p}.o_proj.weight").T
    hd = c.get("head_dim") or d // H

    def lin(n):
        y = x @ W_(f"{p}.{n}.weight").T
        if f"{p}.{n}.bias" in W_.sd:
            y = y + W_(f"{p}.{n}.bias")
        return y
    q, k, v = lin("q_proj"), lin("k_proj"), lin("v_proj")
    if arch == "olmoe":
        q, k = rms(q, W_(f"{p}.q_norm.weight"), c["rms_norm_eps"]), rms(k, W_(f"{p}.k_norm.weight"), c["rms_norm_eps"])
        if c.get("clip_qkv"):
            cq = c["clip_qkv"]
            q, k, v = q.clamp(-cq, cq), k.clamp(-cq, cq), v.clamp(-cq, cq)
    q = q.view(B, T, H, hd).transpose(1, 2)
    k = k.view(B, T, Hk, hd).transpose(1, 2)
    v = v.view(B, T, Hk, hd).transpose(1, 2)
    if arch == "qwen3_moe":
        q, k = rms(q, W_(f"{p}.q_norm.weight"), c["rms_norm_eps"]), rms(k, W_(f"{p}.k_norm.weight"), c["rms_norm_eps"])
    theta = (c.get("rope_parameters") or {}).get("rope_theta", c.get("rope_theta"))
    inv = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    q, k = neox_rope(q, pos, inv), neox_rope(k, pos, inv)
    o = attention(q, k, v, mask, hd ** -0.5)
    return o.transpose(1, 2).reshape(B, T, H * hd) @ W_(f"{p}.o_proj.weight").T


def forward(d, ids, mask):
    c = json.load(open(os.path.join(d, "config.json")))
    arch = c["model_type"]
    W_ = W(d)
    eps = c["rms_norm_eps"]
    B, T = ids.shape
    pos = torch.arange(T)
    h = W_("model.embed_tokens.weight")[ids]
    hs, rec = [h], {}
    for li in range(c["num_hidden_layers"]):
        p = f"model.layers.{li}"
        h = h + attn_block(rms(h, W_(f"{p}.input_layernorm.weight"), eps), W_, li, c, arch, mask, pos)
        x = rms(h, W_(f"{p}.post_attention_layernorm.weight"), eps)
        if is_moe(li, c, arch):
            y = moe(x.reshape(B * T, -1), W_, li, c, arch, rec).view(B, T, -1)
        else:
            y = silu_mlp(x, W_(f"{p}.mlp.gate_proj.weight"), W_(f"{p}.mlp.up_proj.weight"), W_(f"{p}.mlp.down_proj.weight"))
        h = h + y
        hs.append(h)
    hs[-1] = rms(h, W_("model.norm.weight"), eps)
    return hs[-1] @ W_("lm_head.weight").T, hs, rec


def main():
    worst = 0.0
    ok = True
    for name in sorted(os.listdir(GOLDEN)):
        d = os.path.join(GOLDEN, name)
        g = load_file(os.path.join(d, "golden.safetensors"))
        for b in ("a", "b"):
            ids, mask = g[f"input_ids_{b}"], g[f"attention_mask_{b}"]
            logits, hs, rec = forward(d, ids, mask)
            valid = mask.bool()
            dl = float((logits - g[f"logits_{b}"])[valid].abs().max())
            dl_all = float((logits - g[f"logits_{b}"]).abs().max())
            dh = max(float((h - g[f"hidden_states_{b}.{j}"])[valid].abs().max()) for j, h in enumerate(hs))
            same_ids = all(torch.equal(torch.sort(ids_, -1).values, torch.sort(g[f"topk_ids_{b}.{li}"], -1).values)
                           for li, (_, ids_, _) in rec.items())
            dw = max(float((torch.gather(w_, 1, torch.argsort(ids_, -1)) -
                            torch.gather(g[f"topk_weights_{b}.{li}"], 1, torch.argsort(g[f"topk_ids_{b}.{li}"], -1))
                            ).abs().max()) for li, (_, ids_, w_) in rec.items())
            drl = max(float((lg - g[f"router_logits_{b}.{li}"]).abs().max()) for li, (lg, _, _) in rec.items())
            good = same_ids and dl < 1e-4 and dh < 1e-4
            ok &= good
            worst = max(worst, dl_all)
            print(f"{name:18s} {b}: logits(valid) {dl:.2e} logits(all) {dl_all:.2e} hidden {dh:.2e} "
                  f"router_logits {drl:.2e} weights {dw:.2e} same_experts {same_ids} {'OK' if good else 'FAIL'}")
    print("worst logits diff", worst)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
