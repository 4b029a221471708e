"""Golden logits of the demo models (resources/demo/models/<arch>) from transformers (never run in CI).

The demo models are what `moe-compress train` wrote (bf16 safetensors). transformers loads each
checkpoint with its own classes, upcasts the bf16 weights to float64 (exact) and runs two batches:
  a: 2 x 24 tokens of resources/demo/eval.txt as its tokenizer encodes them, no padding;
  b: 2 x 16 tokens, row 1 right-padded over its last 5 positions (attention_mask 0, pad id 0).
It stores input ids, masks, logits (float32) and, for batch a, the top-4 expert ids of every MoE
layer, in tests/reference/golden/demo/<arch>.safetensors, and the environment in <arch>.json.
tests/core/test_demo_models.cpp checks the project's forward pass against them.

  .venv-ref/bin/python tests/reference/gen_golden_demo.py
"""
from __future__ import annotations

import json
import pathlib
import platform
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = ROOT / "resources" / "demo" / "models"
OUT = ROOT / "tests" / "reference" / "golden" / "demo"
ARCHS = sys.argv[1:] or ["mixtral", "qwen", "deepseek"]


def batches(tokenizer):
    text = (ROOT / "resources" / "demo" / "eval.txt").read_text()
    ids = tokenizer(text, return_tensors="pt").input_ids[0]
    a = torch.stack([ids[0:24], ids[1000:1024]])
    b = torch.stack([ids[2000:2016], ids[3000:3016]]).clone()
    mask_b = torch.ones_like(b)
    mask_b[1, -5:] = 0
    b[1, -5:] = 0
    return {"a": (a, torch.ones_like(a)), "b": (b, mask_b)}


@torch.no_grad()
def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for arch in ARCHS:
        path = MODELS / arch
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float64, attn_implementation="eager",
                                                     experts_implementation="eager")
        model.eval()
        tensors = {}
        for name, (ids, mask) in batches(tokenizer).items():
            out = model(input_ids=ids, attention_mask=mask, output_router_logits=(name == "a"))
            tensors[f"input_ids_{name}"] = ids.contiguous()
            tensors[f"attention_mask_{name}"] = mask.contiguous()
            tensors[f"logits_{name}"] = out.logits.float().contiguous()
            if name == "a":
                k = model.config.num_experts_per_tok
                for i, logits in enumerate(out.router_logits or ()):
                    tensors[f"topk_ids_a.{i}"] = logits.topk(k, dim=-1).indices.contiguous()
        save_file(tensors, str(OUT / f"{arch}.safetensors"), metadata={"format": "pt"})
        (OUT / f"{arch}.safetensors").chmod(0o644)
        meta = {"generator": "tests/reference/gen_golden_demo.py", "model": f"resources/demo/models/{arch}",
                "class": type(model).__name__, "transformers": transformers.__version__,
                "torch": torch.__version__, "python": platform.python_version(), "compute": "float64", "implementations": "eager attention, eager experts",
                "router_layers": len([k for k in tensors if k.startswith("topk_ids_a.")])}
        (OUT / f"{arch}.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(arch, meta["class"], {k: tuple(v.shape) for k, v in tensors.items() if k.startswith("logits")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
