"""Hugging Face peft loads what `moe-compress export --peft` writes (issue #18; never run in CI).

Input: the folder of tests/reference/gen_peft_evidence.sh: for each demo model, the LoRA-recovered plan
exported merged (MODEL_merged, standard kind) and as the un-merged base plus adapter_config.json and
adapter_model.safetensors (MODEL_peft). In float64 with eager attention and experts:
PeftModel.from_pretrained(base, MODEL_peft) must give the merged folder's logits (max|diff| <=
1e-4 max|logit|, the golden tolerance), every adapter tensor must load (no missing LoRA keys), and
the adapters must matter (the base alone differs). The merged folder equals the project's own
forward by the export's reload check (its numbers are copied from MODEL_merged.json).
Writes tests/reference/peft_adapter.json (committed as evidence).
"""
from __future__ import annotations

import json
import pathlib
import platform
import sys
import tempfile

import peft
import torch
import transformers
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "reference" / "peft_adapter.json"


def load(folder: pathlib.Path):
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64, attn_implementation="eager",
                                                experts_implementation="eager").eval()


@torch.no_grad()
def check(base_dir: pathlib.Path, model: str) -> dict:
    merged_dir, peft_dir = base_dir / f"{model}_merged", base_dir / f"{model}_peft"
    merged = load(merged_dir)
    vocab = merged.config.vocab_size
    ids = torch.randint(vocab, (2, 24), generator=torch.Generator().manual_seed(7))
    ref = merged(input_ids=ids).logits
    # transformers' own PEFT integration loads adapter_config.json found in a model folder; the base
    # alone is loaded from a copy of the folder without the adapter files.
    with tempfile.TemporaryDirectory() as tmp:
        for f in peft_dir.iterdir():
            if not f.name.startswith("adapter_"):
                (pathlib.Path(tmp) / f.name).symlink_to(f)
        base = load(pathlib.Path(tmp))
    plain = base(input_ids=ids).logits
    try:
        auto = (load(peft_dir)(input_ids=ids).logits - ref).abs().max().item()
    except Exception as e:  # noqa: BLE001 - recorded, not required
        auto = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
    model_peft = PeftModel.from_pretrained(base, peft_dir).eval()
    logits = model_peft(input_ids=ids).logits
    adapter = load_file(peft_dir / "adapter_model.safetensors")
    config = json.loads((peft_dir / "adapter_config.json").read_text())
    loaded = {n for n, _ in model_peft.named_parameters() if "lora_" in n}
    expected = {k.replace(".weight", ".default.weight") for k in adapter}
    scale = ref.abs().max().item()
    diff = (logits - ref).abs().max().item()
    ours = json.loads((merged_dir.parent / f"{model}_merged.json").read_text())["verification"]
    refused = (base_dir / f"{model}_refused.txt").read_text().strip().splitlines()[-1]
    return {
        "model": model,
        "adapters": len(config["target_modules"]),
        "r": config["r"],
        "lora_alpha": config["lora_alpha"],
        "adapter_tensors": len(adapter),
        "adapter_tensors_not_loaded": sorted(expected - loaded),
        "tokens": int(ids.numel()),
        "max_abs_diff_peft_vs_merged": diff,
        "max_abs_diff_base_vs_merged": (plain - ref).abs().max().item(),
        "transformers_from_pretrained_of_the_peft_folder_vs_merged": auto,
        "max_abs_logit": scale,
        "tolerance": 1e-4 * scale,
        "merged_export_reload_check_vs_ours": {k: ours.get(k) for k in ("max_abs_diff_vs_written", "max_abs_diff_vs_in_memory", "passed")},
        "routed_expert_adapters_refused": refused,
        "passed": diff <= 1e-4 * scale and expected <= loaded and (plain - ref).abs().max().item() > 1e-3 * scale,
    }


def main() -> int:
    base = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/moewb-peft-evidence")
    results = []
    for model in ("qwen", "mixtral", "deepseek"):
        if not (base / f"{model}_peft").exists():
            continue
        r = check(base, model)
        results.append(r)
        print(f"{model:<9} {r['adapters']} adapters: peft vs merged max|diff| {r['max_abs_diff_peft_vs_merged']:.3g} "
              f"(tol {r['tolerance']:.3g}), base alone {r['max_abs_diff_base_vs_merged']:.3g} "
              f"{'ok' if r['passed'] else 'FAIL'}")
    if not results:
        print(f"no exports in {base}; run tests/reference/gen_peft_evidence.sh first", file=sys.stderr)
        return 2
    OUT.write_text(json.dumps({
        "what": "moe-compress export --peft adapters loaded by Hugging Face peft on the exported base vs the merged "
                "export (tests/reference/gen_peft_evidence.sh, check_peft.py)",
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "transformers": transformers.__version__, "peft": peft.__version__},
        "results": results,
    }, indent=2) + "\n")
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
