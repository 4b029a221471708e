"""bf16 golden sets: real checkpoints store bf16 weights, so the bf16 forward is judged against a
float64 reference computed from the *same* bf16 weights (casting fp32 golden weights to bf16 would
change the model itself, not measure the arithmetic).

For each source set in golden/<name>/ this writes golden/<name>_bf16/ with the model saved in bf16
and golden.safetensors = {input_ids_a, attention_mask_a, logits_a} in float64.
Run with the .venv-ref environment (see README.md); never run in CI.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
SETS = ["mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2_lite", "deepseek_v2_group"]


def main(names):
    torch.manual_seed(0)
    for name in names:
        src = os.path.join(GOLDEN, name)
        dst = os.path.join(GOLDEN, name + "_bf16")
        os.makedirs(dst, exist_ok=True)
        inputs = load_file(os.path.join(src, "golden.safetensors"))
        model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float64, attn_implementation="eager",
                                                     experts_implementation="eager")
        model.eval()
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).to(torch.float64))
            out = {}
            for batch in ("a",):
                ids = inputs["input_ids_" + batch]
                mask = inputs["attention_mask_" + batch]
                logits = model(input_ids=ids, attention_mask=mask).logits
                out["input_ids_" + batch] = ids.contiguous()
                out["attention_mask_" + batch] = mask.contiguous()
                out["logits_" + batch] = logits.to(torch.float64).contiguous()
        # transformers' own bf16 forward on the same weights: the yardstick for the C++ bf16 path
        # (on these near-flat random models it misses 2^-7 RMS and 99% top-1 agreement itself).
        model.to(torch.bfloat16)
        with torch.no_grad():
            ids = out["input_ids_a"]
            lg = model(input_ids=ids).logits.to(torch.float64)
        ref = out["logits_a"]
        hf_rms = (lg - ref).pow(2).mean().sqrt().item()
        hf_top1 = (lg.argmax(-1) == ref.argmax(-1)).double().mean().item()
        top2 = ref.topk(2, -1).values
        model.save_pretrained(dst)
        save_file(out, os.path.join(dst, "golden.safetensors"), metadata={"format": "pt"})
        meta = json.load(open(os.path.join(src, "golden.json")))
        meta.update({"name": name + "_bf16", "source_set": name, "weights_file_dtype": "bfloat16",
                     "golden_dtype": "float64 from the bf16-rounded weights",
                     "transformers_bf16_rms_error": hf_rms,
                     "transformers_bf16_top1_agreement": hf_top1,
                     "reference_rms": ref.pow(2).mean().sqrt().item(),
                     "min_top1_top2_logit_gap": (top2[..., 0] - top2[..., 1]).min().item()})
        json.dump(meta, open(os.path.join(dst, "golden.json"), "w"), indent=2)
        print(name, "->", dst)


if __name__ == "__main__":
    main(sys.argv[1:] or SETS)
