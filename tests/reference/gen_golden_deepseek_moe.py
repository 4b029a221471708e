#!/usr/bin/env python3
"""Golden reference set for DeepSeekMoE-16B (`model_type: deepseek`, remote code only).

Never run in CI. The architecture exists only as trust_remote_code files of the
Hugging Face repo deepseek-ai/deepseek-moe-16b-base (modeling_deepseek.py,
configuration_deepseek.py), written for transformers 4.36. They are NOT part of
this repository (licence/provenance): put them in a git-ignored folder, by default
.venv-ref/remote/deepseek_moe/, and run this script with the environment of
requirements-deepseek-moe.txt (transformers 4.36.2):

    .venv-ref-deepseek/bin/python tests/reference/gen_golden_deepseek_moe.py \
        [--remote-dir .venv-ref/remote/deepseek_moe]

If configuration_deepseek.py is absent, a minimal stand-in DeepseekConfig
(attributes only, same field names and meaning) defined below is used.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import os
import sys
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as gc  # noqa: E402

import transformers  # noqa: E402
from transformers import PretrainedConfig  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(HERE, "golden")
NAME = "deepseek_moe"
SEED = 707
VOCAB = 256
TOP_K = 4
N_EXPERTS = 16

CONFIG = dict(
    vocab_size=VOCAB, hidden_size=64, intermediate_size=64, moe_intermediate_size=16,
    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
    n_shared_experts=2, n_routed_experts=N_EXPERTS, num_experts_per_tok=TOP_K,
    moe_layer_freq=1, first_k_dense_replace=1, norm_topk_prob=False, scoring_func="softmax",
    aux_loss_alpha=0.001, seq_aux=True, hidden_act="silu", max_position_embeddings=512,
    initializer_range=0.02, rms_norm_eps=1e-6, use_cache=False, pad_token_id=0, bos_token_id=1,
    eos_token_id=2, pretraining_tp=1, tie_word_embeddings=False, rope_theta=10000.0,
    rope_scaling=None, attention_bias=False, attention_dropout=0.0,
)
AUTO_MAP = {
    "AutoConfig": "configuration_deepseek.DeepseekConfig",
    "AutoModel": "modeling_deepseek.DeepseekModel",
    "AutoModelForCausalLM": "modeling_deepseek.DeepseekForCausalLM",
}


class DeepseekConfig(PretrainedConfig):
    """Stand-in for deepseek-moe-16b-base's configuration_deepseek.DeepseekConfig:
    stores the fields read by modeling_deepseek.py (written for this project)."""

    model_type = "deepseek"
    keys_to_ignore_at_inference = ["past_key_values"]

    def __init__(self, vocab_size=102400, hidden_size=4096, intermediate_size=11008,
                 moe_intermediate_size=1407, num_hidden_layers=30, num_attention_heads=32,
                 num_key_value_heads=32, n_shared_experts=None, n_routed_experts=None,
                 num_experts_per_tok=None, moe_layer_freq=1, first_k_dense_replace=0,
                 norm_topk_prob=False, scoring_func="softmax", aux_loss_alpha=0.001, seq_aux=True,
                 hidden_act="silu", max_position_embeddings=2048, initializer_range=0.02,
                 rms_norm_eps=1e-6, use_cache=True, pad_token_id=None, bos_token_id=100000,
                 eos_token_id=100001, pretraining_tp=1, tie_word_embeddings=False, rope_theta=10000.0,
                 rope_scaling=None, attention_bias=False, attention_dropout=0.0, **kwargs):
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.moe_intermediate_size = moe_intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.n_shared_experts = n_shared_experts
        self.n_routed_experts = n_routed_experts
        self.num_experts_per_tok = num_experts_per_tok
        self.moe_layer_freq = moe_layer_freq
        self.first_k_dense_replace = first_k_dense_replace
        self.norm_topk_prob = norm_topk_prob
        self.scoring_func = scoring_func
        self.aux_loss_alpha = aux_loss_alpha
        self.seq_aux = seq_aux
        if num_key_value_heads is None:
            num_key_value_heads = num_attention_heads
        self.num_key_value_heads = num_key_value_heads
        self.hidden_act = hidden_act
        self.initializer_range = initializer_range
        self.rms_norm_eps = rms_norm_eps
        self.pretraining_tp = pretraining_tp
        self.use_cache = use_cache
        self.rope_theta = rope_theta
        self.rope_scaling = rope_scaling
        self.attention_bias = attention_bias
        self.attention_dropout = attention_dropout
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id, eos_token_id=eos_token_id,
                         tie_word_embeddings=tie_word_embeddings, **kwargs)


def load_remote(remote_dir):
    if not os.path.isfile(os.path.join(remote_dir, "modeling_deepseek.py")):
        sys.exit(f"modeling_deepseek.py not found in {remote_dir} (see tests/reference/README.md)")
    pkg = types.ModuleType("deepseek_remote")
    pkg.__path__ = [remote_dir]
    sys.modules["deepseek_remote"] = pkg
    stand_in = not os.path.isfile(os.path.join(remote_dir, "configuration_deepseek.py"))
    if stand_in:
        cfg_mod = types.ModuleType("deepseek_remote.configuration_deepseek")
        cfg_mod.DeepseekConfig = DeepseekConfig
        sys.modules["deepseek_remote.configuration_deepseek"] = cfg_mod
    md = importlib.import_module("deepseek_remote.modeling_deepseek")
    cd = sys.modules["deepseek_remote.configuration_deepseek"]
    return md, cd.DeepseekConfig, stand_in


def routers_of(model, md):
    return {i: layer.mlp.gate for i, layer in enumerate(model.model.layers) if isinstance(layer.mlp, md.DeepseekMoE)}


def run(model, ids, mask, routers):
    cap, hooks = {}, []
    for li, g in routers.items():
        def hook(mod, args, output, li=li):
            x = args[0].reshape(-1, args[0].shape[-1])
            logits = F.linear(x, mod.weight, None)  # what MoEGate.forward computes (it does not return it)
            cap[li] = (x.detach(), logits.detach(), output[0].detach(), output[1].detach())
        hooks.append(g.register_forward_hook(hook))
    last = {}
    hooks.append(model.model.layers[-1].register_forward_hook(lambda m, a, o: last.__setitem__("h", o[0].detach())))
    # transformers 4.36's mask helper calls torch.full(..., torch.finfo(model dtype).min) without a dtype;
    # torch >= 2.x refuses float64's min in the float32 default dtype, so run with the model dtype as the
    # default dtype (only that mask constant is affected; it is cast to the model dtype right after).
    prev = torch.get_default_dtype()
    torch.set_default_dtype(next(model.parameters()).dtype)
    try:
        with torch.no_grad():
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=False,
                        return_dict=True)
    finally:
        torch.set_default_dtype(prev)
        for h in hooks:
            h.remove()
    return out, cap, last["h"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--remote-dir", default=os.path.join(REPO, ".venv-ref", "remote", "deepseek_moe"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    md, Cfg, stand_in = load_remote(os.path.abspath(args.remote_dir))
    rule = dict(kind="softmax_topk", top_k=TOP_K)

    torch.manual_seed(SEED)
    cfg = Cfg(**CONFIG)
    cfg.auto_map = AUTO_MAP
    cfg._attn_implementation = "eager"
    # Build the way from_pretrained(torch_dtype=float64) does (default dtype = float64 during __init__):
    # the rotary inv_freq buffer stays float32 (explicit .float() in the remote code) as in real use.
    # model.double() would also turn inv_freq into float64 and change the RoPE angles by ~1e-7.
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model = md.DeepseekForCausalLM(cfg).eval()
    finally:
        torch.set_default_dtype(prev)
    assert model.lm_head.weight.dtype == torch.float64
    assert model.model.layers[0].self_attn.rotary_emb.inv_freq.dtype == torch.float32
    assert type(model.model.layers[0].self_attn) is md.DeepseekAttention
    gc.init_params(model, SEED)
    routers = routers_of(model, md)
    batches = gc.make_batches(VOCAB, SEED, 12, 10, 4)

    steps = {}
    for li in sorted(routers):
        xs = [run(model, ids, mask, routers)[1][li][0] for ids, mask in batches.values()]
        steps[li] = gc.optimise_gate(routers[li].weight, torch.cat(xs), rule)
    gc.log(f"optimiser steps {steps}")

    tensors, stats, min_margin = {}, {}, float("inf")
    for b, (ids, mask) in batches.items():
        out, cap, prenorm = run(model, ids, mask, routers)
        tensors[f"input_ids_{b}"] = ids
        tensors[f"attention_mask_{b}"] = mask
        tensors[f"logits_{b}"] = out.logits
        for j, h in enumerate(out.hidden_states):
            tensors[f"hidden_states_{b}.{j}"] = h
        tensors[f"prenorm_hidden_{b}"] = prenorm
        assert torch.equal(model.model.norm(prenorm), out.hidden_states[-1])
        for li, (x, logits, ids_m, w_m) in sorted(cap.items()):
            ids_ref, margin, _ = gc.routing_decision(logits, rule)
            order = torch.argsort(w_m, dim=-1, descending=True, stable=True)
            ids_sorted, w_sorted = torch.gather(ids_m, 1, order), torch.gather(w_m, 1, order)
            assert torch.equal(ids_sorted, ids_ref), f"layer {li} ids mismatch"
            # weights = softmax probabilities in the model dtype (fp64), no renorm, no scaling
            assert torch.allclose(w_sorted, torch.gather(torch.softmax(logits, -1), 1, ids_ref), atol=0, rtol=0)
            m = float(margin.min())
            assert m > gc.MARGIN_ASSERT
            min_margin = min(min_margin, m)
            st = stats.setdefault(str(li), {"min_margin": m, "expert_use": [0] * N_EXPERTS})
            st["min_margin"] = min(st["min_margin"], m)
            for e in ids_sorted.flatten().tolist():
                st["expert_use"][e] += 1
            tensors[f"router_logits_{b}.{li}"] = logits
            tensors[f"topk_ids_{b}.{li}"] = ids_sorted
            tensors[f"topk_weights_{b}.{li}"] = w_sorted

    out_dir = os.path.join(GOLDEN, NAME)
    gc.fresh_dir(out_dir)
    copy.deepcopy(model).float().save_pretrained(out_dir, safe_serialization=True)
    for f in os.listdir(out_dir):
        if f not in ("config.json", "model.safetensors"):
            os.remove(os.path.join(out_dir, f))

    m32 = md.DeepseekForCausalLM.from_pretrained(out_dir, torch_dtype=torch.float32, attn_implementation="eager")
    m32.eval()
    fp32 = {}
    for b, (ids, mask) in batches.items():
        out, _, _ = run(m32, ids, mask, routers_of(m32, md))
        fp32[b] = float((out.logits.double() - tensors[f"logits_{b}"]).abs().max())

    m2 = md.DeepseekForCausalLM.from_pretrained(out_dir, torch_dtype=torch.float64, attn_implementation="eager")
    m2.eval()
    reload = 0.0
    for b, (ids, mask) in batches.items():
        out, _, _ = run(m2, ids, mask, routers_of(m2, md))
        reload = max(reload, float((out.logits - tensors[f"logits_{b}"]).abs().max()))
    assert reload < 1e-12, reload

    n_layers = cfg.num_hidden_layers
    meta = {
        "name": NAME,
        "arch": "deepseek",
        "model_class": "DeepseekForCausalLM (remote code of deepseek-ai/deepseek-moe-16b-base)",
        **gc.env_meta(),
        "attn_implementation": "eager",
        "seed": SEED,
        "weights_file_dtype": "float32",
        "golden_dtype": "float64 (model.double() with float32-representable weights)",
        "padding_side": "right",
        "pad_token_id": 0,
        "position_ids": "arange(T) for every row (remote-code default; not derived from the mask)",
        "batches": {b: {"shape": list(ids.shape), "valid_lengths": mask.sum(-1).tolist()}
                    for b, (ids, mask) in batches.items()},
        "num_hidden_layers": n_layers,
        "moe_layers": sorted(routers),
        "dense_layers": [i for i in range(n_layers) if i not in routers],
        "router_rule": ("softmax over 16 experts IN THE MODEL DTYPE (fp64 here; no fp32 upcast), top-4, no "
                        "renormalisation (norm_topk_prob=false), no scaling; plus shared_experts (2 x 16 = 32 "
                        "wide, no gate)"),
        "routing": rule,
        "min_margin": min_margin,
        "margin_definition": "p_k - p_(k+1) of float64 softmax(router_logits)",
        "per_layer": stats,
        "reload_logits_max_abs_diff": reload,
        "fp32_model_logits_max_abs_diff": fp32,
        "optimiser_steps": {str(k): v for k, v in steps.items()},
        "remote_code": {
            "modeling_deepseek.py": ("deepseek-moe-16b-base remote code, reconstructed from two public GitHub "
                                     "copies (ywhijn/moe-project-7101 and zhexiangzhang/ServerlessMOE, each "
                                     "with local instrumentation that the other lacks; the instrumentation "
                                     "was dropped). Not committed."),
            "configuration_deepseek.py": ("stand-in DeepseekConfig from gen_golden_deepseek_moe.py" if stand_in
                                          else "from --remote-dir"),
        },
        "notes": [
            "router_logits are not returned by this remote code (no output_router_logits); they were captured "
            "with a forward hook on MoEGate as F.linear(gate input, gate.weight), the same op MoEGate runs.",
            "MoEGate uses torch.topk(sorted=False); topk_ids/topk_weights here are re-ordered by descending "
            "weight.",
            "config.json carries auto_map like the real checkpoint; the .py files are not shipped here.",
        ],
    }
    gc.save_golden(out_dir, tensors, meta)
    gc.log(f"min margin {min_margin:.4g}; reload {reload:.3g}; fp32 {fp32}")


if __name__ == "__main__":
    main()
