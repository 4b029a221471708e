"""Shared helpers for the golden-reference generators (never run in CI).

Used by gen_golden_models.py (transformers 5.x, native classes) and by
gen_golden_deepseek_moe.py (transformers 4.36, DeepSeekMoE remote code), so it
depends only on torch, numpy and safetensors and must work with both
transformers versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

MARGIN_ASSERT = 1e-3      # every routing decision must beat this (brief requirement)
MARGIN_TARGET = 4e-3      # what the gate optimiser aims for (slack for fp32 rounding)
GROUP_MARGIN_TARGET = 4e-3


# --------------------------------------------------------------------------- inputs
def make_batches(vocab: int, seed: int, len_a: int, len_b: int, pad_b: int, pad_id: int = 0):
    """Fixed token ids.

    batch a: 2 x len_a, no padding.
    batch b: 2 x len_b, row 0 full, row 1 RIGHT-padded: its last pad_b positions
             have attention_mask 0 and input id pad_id.
    Ids are drawn from [1, vocab) so that pad_id 0 never occurs as a real token.
    """
    g = torch.Generator().manual_seed(seed)
    ids_a = torch.randint(1, vocab, (2, len_a), generator=g, dtype=torch.int64)
    mask_a = torch.ones_like(ids_a)
    ids_b = torch.randint(1, vocab, (2, len_b), generator=g, dtype=torch.int64)
    mask_b = torch.ones_like(ids_b)
    mask_b[1, len_b - pad_b:] = 0
    ids_b[1, len_b - pad_b:] = pad_id
    return {"a": (ids_a, mask_a), "b": (ids_b, mask_b)}


# --------------------------------------------------------------------------- weights
def _name_seed(seed: int, name: str) -> int:
    h = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(h[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF


@torch.no_grad()
def init_params(model: torch.nn.Module, seed: int, embed_std: float = 1.0):
    """Deterministic re-initialisation of every parameter, independent of the
    transformers version's own _init_weights and of registration order.

    * 1-D params whose name contains 'norm'   -> 1 + 0.1 N(0,1)  (RMSNorm weights)
    * 1-D params named '*bias'                -> 0.1 N(0,1)
    * embeddings                              -> embed_std N(0,1)
    * every other >=2-D weight [.., out, in]  -> N(0,1) / sqrt(in)   (in = last dim)
    Values are then rounded to float32 (see round_to_fp32).
    """
    for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
        g = torch.Generator().manual_seed(_name_seed(seed, name))
        r = torch.randn(p.shape, generator=g, dtype=torch.float64)
        if p.dim() == 1 and "norm" in name:
            v = 1.0 + 0.1 * r
        elif p.dim() == 1 and name.endswith("bias"):
            v = 0.1 * r
        elif "embed_tokens" in name:
            v = embed_std * r
        elif p.dim() >= 2:
            v = r / (p.shape[-1] ** 0.5)
        else:
            raise RuntimeError(f"no init rule for {name} {tuple(p.shape)}")
        p.copy_(v.to(p.dtype))
    round_to_fp32(model)


@torch.no_grad()
def round_to_fp32(model: torch.nn.Module):
    """Make every parameter exactly representable in float32 (the saved dtype),
    so that the float32 file and the float64 golden maths agree exactly."""
    for p in model.parameters():
        p.copy_(p.detach().float().to(p.dtype))


# --------------------------------------------------------------------------- routing rule
def routing_decision(logits: torch.Tensor, rule: dict):
    """Re-derive the routing decision from router logits in float64.

    Returns (ids [N,k] sorted by descending probability, margin [N],
    extra dict). margin = p_k - p_{k+1} of the (group-masked) probabilities; for
    group-limited routing it is min(that, group margin) where group margin =
    g_topk_group - g_{topk_group+1} of the per-group max probabilities.
    """
    probs = torch.softmax(logits.double(), dim=-1)
    k = rule["top_k"]
    extra = {}
    if rule["kind"] == "softmax_topk":
        sp, si = torch.sort(probs, dim=-1, descending=True)
        margin = sp[:, k - 1] - sp[:, k]
        return si[:, :k], margin, extra
    if rule["kind"] == "group_limited":
        ng, tg = rule["n_group"], rule["topk_group"]
        n, e = probs.shape
        gs = probs.view(n, ng, e // ng).max(dim=-1).values
        sgs, sgi = torch.sort(gs, dim=-1, descending=True)
        gmargin = sgs[:, tg - 1] - sgs[:, tg]
        gmask = torch.zeros_like(gs)
        gmask.scatter_(1, sgi[:, :tg], 1.0)
        smask = gmask.unsqueeze(-1).expand(n, ng, e // ng).reshape(n, e)
        masked = probs.masked_fill(smask == 0, 0.0)
        sp, si = torch.sort(masked, dim=-1, descending=True)
        margin = torch.minimum(sp[:, k - 1] - sp[:, k], gmargin)
        # how many tokens would have picked differently without the group limit
        _, gi = torch.sort(probs, dim=-1, descending=True)
        a = torch.sort(gi[:, :k], dim=-1).values
        b = torch.sort(si[:, :k], dim=-1).values
        extra["group_limit_changed_tokens"] = int((a != b).any(dim=-1).sum())
        extra["group_margin_min"] = float(gmargin.min())
        return si[:, :k], margin, extra
    raise ValueError(rule)


def _soft_margins(logits: torch.Tensor, rule: dict):
    """Differentiable margins (same definition as routing_decision)."""
    probs = torch.softmax(logits, dim=-1)
    k = rule["top_k"]
    if rule["kind"] == "softmax_topk":
        sp = torch.sort(probs, dim=-1, descending=True).values
        return [sp[:, k - 1] - sp[:, k]]
    ng, tg = rule["n_group"], rule["topk_group"]
    n, e = probs.shape
    gs = probs.view(n, ng, e // ng).max(dim=-1).values
    sgs, sgi = torch.sort(gs, dim=-1, descending=True)
    gmargin = sgs[:, tg - 1] - sgs[:, tg]
    gmask = torch.zeros_like(gs).detach()
    gmask.scatter_(1, sgi[:, :tg].detach(), 1.0)
    smask = gmask.unsqueeze(-1).expand(n, ng, e // ng).reshape(n, e)
    masked = probs * smask
    sp = torch.sort(masked, dim=-1, descending=True).values
    return [sp[:, k - 1] - sp[:, k], gmargin]


def optimise_gate(weight: torch.nn.Parameter, x: torch.Tensor, rule: dict, logit_std: float = 1.0,
                  steps: int = 3000):
    """Adjust one router weight [E, d] so every token in x [N, d] routes with a
    clear margin. x is the router input (fixed: it does not depend on this
    weight). First rescale so router logits have std `logit_std`, then run
    Adam on a hinge loss over the margins, staying close to the start.
    Result is rounded to float32-representable values."""
    with torch.no_grad():
        w0 = weight.detach().double().clone()
        x = x.detach().double()
        w0 *= logit_std / (x @ w0.T).std().clamp_min(1e-12)
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=2e-3)
    targets = [MARGIN_TARGET, GROUP_MARGIN_TARGET]
    for step in range(steps):
        ms = _soft_margins(x @ w.T, rule)
        ok = all(bool((m.detach() >= t).all()) for m, t in zip(ms, targets))
        if ok:
            # check again after float32 rounding
            wr = w.detach().float().double()
            _, m_r, _ = routing_decision(x @ wr.T, rule)
            if bool((m_r >= MARGIN_TARGET * 0.5).all()):
                break
        loss = sum(F.relu(t * 1.5 - m).sum() for m, t in zip(ms, targets))
        loss = loss + 1e-3 * ((w - w0) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        weight.copy_(w.detach().float().to(weight.dtype))
    return step


# --------------------------------------------------------------------------- files
def save_golden(path: str, tensors: dict, meta: dict):
    os.makedirs(path, exist_ok=True)
    clean = {}
    for k, v in tensors.items():
        v = v.detach().cpu().contiguous()
        if v.is_floating_point():
            v = v.double()
        else:
            v = v.to(torch.int64)
        clean[k] = v
    save_file(clean, os.path.join(path, "golden.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(path, "golden.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=False)
        f.write("\n")


def env_meta():
    import numpy
    import safetensors
    import transformers
    return {
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "safetensors_version": safetensors.__version__,
        "numpy_version": numpy.__version__,
        "python_version": platform.python_version(),
    }


def fresh_dir(path: str):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def compare_files(path_a: str, path_b: str) -> float:
    a, b = load_file(path_a), load_file(path_b)
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) if a[k].numel() else 0.0 for k in a)


def log(*a):
    print(*a, file=sys.stderr, flush=True)
