#!/usr/bin/env python3
"""Generate the golden reference sets for the native transformers MoE classes.

Never run in CI. Needs the pinned environment of requirements.txt
(see README.md). Writes tests/reference/golden/<name>/ with
config.json, model.safetensors (float32), golden.safetensors (float64 / int64)
and golden.json. DeepSeekMoE-16B (remote code) is produced by
gen_golden_deepseek_moe.py in its own environment.

    .venv-ref/bin/python tests/reference/gen_golden_models.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as gc  # noqa: E402

import transformers  # noqa: E402
from transformers import (  # noqa: E402
    DeepseekV2Config,
    DeepseekV2ForCausalLM,
    MixtralConfig,
    MixtralForCausalLM,
    OlmoeConfig,
    OlmoeForCausalLM,
    Qwen2MoeConfig,
    Qwen2MoeForCausalLM,
    Qwen3MoeConfig,
    Qwen3MoeForCausalLM,
)

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
VOCAB = 256
HIDDEN = 64

COMMON = dict(vocab_size=VOCAB, hidden_size=HIDDEN, max_position_embeddings=512, pad_token_id=0,
              bos_token_id=1, eos_token_id=2, tie_word_embeddings=False, hidden_act="silu")

SPECS = {
    "mixtral": dict(
        model_cls=MixtralForCausalLM, cfg_cls=MixtralConfig, seed=101,
        config=dict(COMMON, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                    intermediate_size=32, num_local_experts=8, num_experts_per_tok=2,
                    rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                    sliding_window=None),
        rule=dict(kind="softmax_topk", top_k=2),
        router_text="softmax over 8 experts (probabilities in fp32), top-2, renormalise the 2 weights to sum 1",
        len_a=12, len_b=10, pad_b=4),
    "qwen2_moe": dict(
        model_cls=Qwen2MoeForCausalLM, cfg_cls=Qwen2MoeConfig, seed=202,
        config=dict(COMMON, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                    intermediate_size=64, moe_intermediate_size=16, shared_expert_intermediate_size=48,
                    num_experts=12, num_experts_per_tok=4, norm_topk_prob=False, decoder_sparse_step=1,
                    mlp_only_layers=[2], qkv_bias=True, use_sliding_window=False, rms_norm_eps=1e-6,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        rule=dict(kind="softmax_topk", top_k=4),
        router_text=("softmax over 12 experts (fp32), top-4, NO renormalisation (norm_topk_prob=false); "
                     "plus shared_expert (width 48) scaled by sigmoid(shared_expert_gate(x)) [1,d]"),
        len_a=12, len_b=10, pad_b=4),
    "qwen3_moe": dict(
        model_cls=Qwen3MoeForCausalLM, cfg_cls=Qwen3MoeConfig, seed=303,
        config=dict(COMMON, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=24,
                    intermediate_size=64, moe_intermediate_size=16, num_experts=16, num_experts_per_tok=4,
                    norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[], attention_bias=False,
                    use_sliding_window=False, rms_norm_eps=1e-6,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        rule=dict(kind="softmax_topk", top_k=4),
        router_text="softmax over 16 experts (fp32), top-4, renormalise (norm_topk_prob=true)",
        len_a=12, len_b=10, pad_b=4),
    "olmoe": dict(
        model_cls=OlmoeForCausalLM, cfg_cls=OlmoeConfig, seed=404,
        config=dict(COMMON, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                    intermediate_size=32, num_experts=8, num_experts_per_tok=2, norm_topk_prob=False,
                    clip_qkv=1.5, attention_bias=False, rms_norm_eps=1e-5,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        rule=dict(kind="softmax_topk", top_k=2),
        router_text="softmax over 8 experts (fp32), top-2, no renormalisation (norm_topk_prob=false)",
        len_a=12, len_b=10, pad_b=4),
    "deepseek_v2_lite": dict(
        model_cls=DeepseekV2ForCausalLM, cfg_cls=DeepseekV2Config, seed=505,
        config=dict(COMMON, max_position_embeddings=256, num_hidden_layers=3, num_attention_heads=4,
                    num_key_value_heads=4, q_lora_rank=None, kv_lora_rank=32, qk_nope_head_dim=16,
                    qk_rope_head_dim=16, v_head_dim=16, intermediate_size=64, moe_intermediate_size=16,
                    n_routed_experts=16, n_shared_experts=2, num_experts_per_tok=4, first_k_dense_replace=1,
                    topk_method="greedy", n_group=None, topk_group=None, norm_topk_prob=False,
                    routed_scaling_factor=1.5, rms_norm_eps=1e-6, attention_bias=False,
                    rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0,
                                     "original_max_position_embeddings": 32, "beta_fast": 32.0,
                                     "beta_slow": 1.0, "mscale": 0.707, "mscale_all_dim": 0.707}),
        rule=dict(kind="softmax_topk", top_k=4),
        router_text=("router logits in fp32, softmax over 16 experts, greedy top-4, weights x "
                     "routed_scaling_factor 1.5, no renormalisation; plus shared_experts (2 x 16 = 32 wide, no gate)"),
        len_a=48, len_b=32, pad_b=10),
    "deepseek_v2_group": dict(
        model_cls=DeepseekV2ForCausalLM, cfg_cls=DeepseekV2Config, seed=606,
        config=dict(COMMON, max_position_embeddings=256, num_hidden_layers=3, num_attention_heads=4,
                    num_key_value_heads=4, q_lora_rank=48, kv_lora_rank=32, qk_nope_head_dim=16,
                    qk_rope_head_dim=16, v_head_dim=16, intermediate_size=64, moe_intermediate_size=16,
                    n_routed_experts=16, n_shared_experts=2, num_experts_per_tok=4, first_k_dense_replace=1,
                    topk_method="group_limited_greedy", n_group=4, topk_group=2, norm_topk_prob=False,
                    routed_scaling_factor=2.0, rms_norm_eps=1e-6, attention_bias=False,
                    rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0,
                                     "original_max_position_embeddings": 32, "beta_fast": 32.0,
                                     "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 0.8}),
        rule=dict(kind="group_limited", top_k=4, n_group=4, topk_group=2),
        router_text=("router logits in fp32, softmax over 16 experts, group_limited_greedy: 4 groups of 4 "
                     "contiguous experts, group score = max prob in group, keep top-2 groups (others zeroed), "
                     "then top-4; weights x routed_scaling_factor 2.0, no renormalisation; plus shared_experts "
                     "(2 x 16 = 32 wide, no gate)"),
        len_a=48, len_b=32, pad_b=10),
}


def find_routers(model):
    """{decoder layer index: router module} for the MoE layers."""
    out = {}
    for i, layer in enumerate(model.model.layers):
        for _, m in layer.named_modules():
            if type(m).__name__.endswith(("TopKRouter", "TopkRouter")):
                out[i] = m
    return out


def run(model, ids, mask, routers):
    """One forward pass; returns (outputs, {layer: (router input, logits, ids, weights)}, prenorm)."""
    cap = {}
    hooks = []
    for li, r in routers.items():
        def hook(mod, args, output, li=li):
            x = args[0].reshape(-1, args[0].shape[-1])
            cap[li] = (x.detach(), output[0].detach(), output[2].detach(), output[1].detach())
        hooks.append(r.register_forward_hook(hook))
    last = {}
    hooks.append(model.model.layers[-1].register_forward_hook(
        lambda m, a, o: last.__setitem__("h", (o[0] if isinstance(o, tuple) else o).detach())))
    try:
        with torch.no_grad():
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True,
                        output_router_logits=True, use_cache=False)
    finally:
        for h in hooks:
            h.remove()
    return out, cap, last["h"]


def new_model(spec):
    cfg = spec["cfg_cls"](**spec["config"])
    model = spec["model_cls"]._from_config(cfg, attn_implementation="eager", experts_implementation="eager",
                                           dtype=torch.float64)
    model.eval()
    return model


def fix_routing(model, routers, batches, rule):
    """Layer by layer (in order), optimise each router so every token of every
    batch has a clear top-k margin. Router inputs of layer l do not depend on
    router l, only on earlier layers, so one pass suffices."""
    steps = {}
    for li in sorted(routers):
        xs = []
        for ids, mask in batches.values():
            _, cap, _ = run(model, ids, mask, routers)
            xs.append(cap[li][0])
        steps[li] = gc.optimise_gate(routers[li].weight, torch.cat(xs), rule)
    return steps


def record(model, routers, batches, rule, spec):
    tensors, layer_stats = {}, {}
    min_margin = float("inf")
    for b, (ids, mask) in batches.items():
        out, cap, prenorm = run(model, ids, mask, routers)
        tensors[f"input_ids_{b}"] = ids
        tensors[f"attention_mask_{b}"] = mask
        tensors[f"logits_{b}"] = out.logits
        for j, h in enumerate(out.hidden_states):
            tensors[f"hidden_states_{b}.{j}"] = h
        tensors[f"prenorm_hidden_{b}"] = prenorm
        assert torch.equal(model.model.norm(prenorm), out.hidden_states[-1])
        assert len(out.router_logits) == len(routers)
        for (li, (x, logits, ids_m, w_m)), rl in zip(sorted(cap.items()), out.router_logits):
            assert torch.equal(rl, logits), "output_router_logits disagrees with the gate hook"
            ids_ref, margin, extra = gc.routing_decision(logits, rule)
            # the model's own choice, ordered by descending weight
            order = torch.argsort(w_m.double(), dim=-1, descending=True, stable=True)
            ids_sorted = torch.gather(ids_m, 1, order)
            w_sorted = torch.gather(w_m, 1, order)
            assert torch.equal(ids_sorted.to(torch.int64), ids_ref.to(torch.int64)), f"layer {li}: ids mismatch"
            m = float(margin.min())
            assert m > gc.MARGIN_ASSERT, f"{b} layer {li}: margin {m}"
            min_margin = min(min_margin, m)
            st = layer_stats.setdefault(li, {"min_margin": m, "expert_use": [0] * logits.shape[-1]})
            st["min_margin"] = min(st["min_margin"], m)
            for e in ids_sorted.flatten().tolist():
                st["expert_use"][e] += 1
            for key, val in extra.items():
                if key == "group_limit_changed_tokens":
                    st[key] = st.get(key, 0) + val
                else:
                    st[key] = min(st.get(key, val), val)
            tensors[f"router_logits_{b}.{li}"] = logits
            tensors[f"topk_ids_{b}.{li}"] = ids_sorted
            tensors[f"topk_weights_{b}.{li}"] = w_sorted
    return tensors, layer_stats, min_margin


def fp32_diff(model, routers, batches, golden):
    model.float()
    d = {}
    for b, (ids, mask) in batches.items():
        out, _, _ = run(model, ids, mask, routers)
        d[b] = float((out.logits.double() - golden[f"logits_{b}"]).abs().max())
    model.double()
    return d


def olmoe_clip_fraction(model, batches):
    """Fraction of q/k/v elements that clip_qkv actually clamps (batch a)."""
    clip = model.config.clip_qkv
    counts = [0, 0]

    def hook(mod, args, out):
        counts[0] += int((out.abs() > clip).sum())
        counts[1] += out.numel()
    hs = []
    for layer in model.model.layers:
        a = layer.self_attn
        hs += [a.q_norm.register_forward_hook(hook), a.k_norm.register_forward_hook(hook),
               a.v_proj.register_forward_hook(hook)]
    ids, mask = batches["a"]
    with torch.no_grad():
        model(input_ids=ids, attention_mask=mask, use_cache=False)
    for h in hs:
        h.remove()
    return counts[0] / counts[1]


def reload_check(path, spec, batches, golden, routers_expected):
    m2 = spec["model_cls"].from_pretrained(path, dtype=torch.float64, attn_implementation="eager",
                                           experts_implementation="eager")
    m2.eval()
    r2 = find_routers(m2)
    assert sorted(r2) == sorted(routers_expected)
    d = 0.0
    for b, (ids, mask) in batches.items():
        out, _, _ = run(m2, ids, mask, r2)
        d = max(d, float((out.logits - golden[f"logits_{b}"]).abs().max()))
    return d


def write_fused(src_dir, dst_dir, n_layers, moe_layers, n_experts):
    """Rewrite the per-expert checkpoint in transformers v5's fused layout:
    mlp.experts.gate_up_proj [E, 2f, d] (gate rows first, then up rows) and
    mlp.experts.down_proj [E, d, f], replacing experts.{e}.{gate,up,down}_proj.weight."""
    gc.fresh_dir(dst_dir)
    sd = load_file(os.path.join(src_dir, "model.safetensors"))
    out = {}
    used = set()
    for li in moe_layers:
        p = f"model.layers.{li}.mlp.experts"
        gu, dn = [], []
        for e in range(n_experts):
            g_, u_, d_ = (f"{p}.{e}.gate_proj.weight", f"{p}.{e}.up_proj.weight", f"{p}.{e}.down_proj.weight")
            gu.append(torch.cat([sd[g_], sd[u_]], dim=0))
            dn.append(sd[d_])
            used |= {g_, u_, d_}
        out[f"{p}.gate_up_proj"] = torch.stack(gu).contiguous()
        out[f"{p}.down_proj"] = torch.stack(dn).contiguous()
    for k, v in sd.items():
        if k not in used:
            out[k] = v
    save_file(out, os.path.join(dst_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(src_dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(dst_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def yarn_correction_range(cfg):
    import math
    rp = cfg.rope_parameters
    dim, base, omax = cfg.qk_rope_head_dim, rp["rope_theta"], rp["original_max_position_embeddings"]

    def cdim(rot):
        return (dim * math.log(omax / (rot * 2 * math.pi))) / (2 * math.log(base))
    return [max(math.floor(cdim(rp["beta_fast"])), 0), min(math.ceil(cdim(rp["beta_slow"])), dim - 1)]


def generate(name, spec):
    gc.log(f"== {name}")
    torch.manual_seed(spec["seed"])
    model = new_model(spec)
    gc.init_params(model, spec["seed"])
    routers = find_routers(model)
    batches = gc.make_batches(VOCAB, spec["seed"], spec["len_a"], spec["len_b"], spec["pad_b"])
    steps = fix_routing(model, routers, batches, spec["rule"])
    gc.log(f"   optimiser steps per layer: {steps}")
    tensors, layer_stats, min_margin = record(model, routers, batches, spec["rule"], spec)
    fp32 = fp32_diff(model, routers, batches, tensors)

    out_dir = os.path.join(GOLDEN, name)
    gc.fresh_dir(out_dir)
    model.float()
    model.save_pretrained(out_dir)  # transformers 5 always writes safetensors
    model.double()
    for extra in ("generation_config.json",):
        p = os.path.join(out_dir, extra)
        if os.path.exists(p):
            os.remove(p)
    reload = reload_check(out_dir, spec, batches, tensors, routers)
    assert reload < 1e-12, f"reload mismatch {reload}"

    cfg = model.config
    n_layers = cfg.num_hidden_layers
    moe_layers = sorted(routers)
    meta = {
        "name": name,
        "arch": cfg.model_type,
        "model_class": spec["model_cls"].__name__,
        **gc.env_meta(),
        "attn_implementation": "eager",
        "experts_implementation": "eager",
        "seed": spec["seed"],
        "weights_file_dtype": "float32",
        "golden_dtype": "float64 (model.double() with float32-representable weights)",
        "padding_side": "right",
        "pad_token_id": 0,
        "position_ids": "arange(T) for every row (transformers default; not derived from the mask)",
        "batches": {b: {"shape": list(ids.shape), "valid_lengths": mask.sum(-1).tolist()}
                    for b, (ids, mask) in batches.items()},
        "num_hidden_layers": n_layers,
        "moe_layers": moe_layers,
        "dense_layers": [i for i in range(n_layers) if i not in routers],
        "router_rule": spec["router_text"],
        "routing": spec["rule"],
        "min_margin": min_margin,
        "margin_definition": ("p_k - p_(k+1) of float64 softmax(router_logits) (group-limited: of the "
                              "group-masked probabilities, and also min over the group-score margin)"),
        "per_layer": {str(k): v for k, v in layer_stats.items()},
        "reload_logits_max_abs_diff": reload,
        "fp32_model_logits_max_abs_diff": fp32,
        "optimiser_steps": {str(k): v for k, v in steps.items()},
        "notes": [],
    }
    if cfg.model_type == "olmoe":
        meta["clip_qkv"] = cfg.clip_qkv
        meta["clip_qkv_fraction_clamped_a"] = olmoe_clip_fraction(model, batches)
    if cfg.model_type == "deepseek_v2":
        rp = cfg.rope_parameters
        mscale_all = 0.1 * rp["mscale_all_dim"] * torch.log(torch.tensor(rp["factor"], dtype=torch.float64)) + 1
        att = ((0.1 * rp["mscale"] * torch.log(torch.tensor(rp["factor"], dtype=torch.float64)) + 1) / mscale_all)
        meta["yarn"] = {
            "rope_parameters": rp,
            "softmax_scale": model.model.layers[0].self_attn.scaling,
            "softmax_scale_formula": "qk_head_dim^-0.5 * mscale(factor, mscale_all_dim)^2, mscale(s,m)=0.1*m*ln(s)+1",
            "softmax_scale_without_mscale": (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim) ** -0.5,
            "includes_mscale_squared": True,
            "cos_sin_attention_factor": float(att),
            "inv_freq": model.model.rotary_emb.inv_freq.tolist(),
            "inv_freq_note": ("float32 values of the blended YaRN inverse frequencies over the "
                              "qk_rope_head_dim/2 rotary pairs; correction range [low, high] = floor/ceil of "
                              "find_correction_dim(beta_fast/beta_slow), clamped to [0, dim-1]"),
            "correction_range": yarn_correction_range(cfg),
        }
        meta["notes"].append(
            "transformers 5.23.0 modeling_deepseek_v2.py applies yarn_apply_mscale(): scaling = qk_head_dim**-0.5 "
            "* mscale**2 (mscale = yarn_get_mscale(factor, mscale_all_dim)), which matches the original "
            "DeepSeek-V2 remote code. transformers 4.57.6 (last v4) lacks it (scaling = qk_head_dim**-0.5 only).")
        meta["notes"].append(
            "transformers 5.23.0 modeling_deepseek_v2.py never reads norm_topk_prob (the router never "
            "renormalises; it always multiplies by routed_scaling_factor). The original remote code renormalises "
            "when norm_topk_prob is true. These sets use norm_topk_prob=false, where both agree.")
        meta["notes"].append(
            "config.json 'head_dim' equals qk_rope_head_dim (set by DeepseekV2Config.__post_init__); it is not "
            "the attention head size. q/k head size = qk_nope_head_dim + qk_rope_head_dim, v head = v_head_dim.")
        meta["notes"].append(
            "RoPE on q_pe/k_pe uses interleaved pairs (x[2i], x[2i+1]) via complex multiplication, computed in "
            "float32/complex64 even in a float64 model (apply_rotary_emb calls .float()).")
    save_golden(out_dir, tensors, meta)
    gc.log(f"   min margin {min_margin:.4g}; reload diff {reload:.3g}; fp32 diff {fp32}")

    if name == "qwen3_moe":
        fused = os.path.join(GOLDEN, "qwen3_moe_fused")
        write_fused(out_dir, fused, n_layers, moe_layers, cfg.num_experts)
        d = reload_check(fused, spec, batches, tensors, routers)
        assert d < 1e-12, f"fused reload mismatch {d}"
        meta2 = dict(meta, name="qwen3_moe_fused", reload_logits_max_abs_diff=d,
                     notes=meta["notes"] + [
                         "Same model and golden outputs as qwen3_moe; only model.safetensors differs: per-expert "
                         "tensors replaced by transformers-v5 fused layout model.layers.{i}.mlp.experts.gate_up_proj "
                         "[E, 2*moe_intermediate_size, hidden] (rows 0..f-1 = gate_proj, f..2f-1 = up_proj) and "
                         "model.layers.{i}.mlp.experts.down_proj [E, hidden, moe_intermediate_size]. Written by "
                         "gen_golden_models.py with the safetensors library; verified to load in transformers "
                         f"{transformers.__version__} and reproduce the logits."])
        save_golden(fused, tensors, meta2)
        gc.log(f"   fused reload diff {d:.3g}")


def save_golden(path, tensors, meta):
    gc.save_golden(path, tensors, meta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    for name, spec in SPECS.items():
        if args.only and name not in args.only:
            continue
        generate(name, spec)


if __name__ == "__main__":
    main()
