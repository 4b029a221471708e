"""Stock transformers loads what `moe-compress export` writes (issue #13; never run in CI).

Input: the folders written by the skipped doctest case "export evidence" of tests/core/test_export.cpp
(standard, extended and dense exports of the three demo models, each with the project's own logits
of the reloaded folder in ours.safetensors):

  MOEWB_EXPORT_EVIDENCE_DIR=/tmp/moewb-export-evidence \
    build/ci/tests/test_export --no-skip -tc='export evidence*'
  .venv-ref/bin/python tests/reference/check_export_transformers.py /tmp/moewb-export-evidence

For every folder: AutoModelForCausalLM.from_pretrained (trust_remote_code=True for the extended
kind, which must resolve to the generated Moewb* class), float64, eager attention and experts, on the
same token ids; logits compared with ours under the golden-test tolerance max|diff| <= 1e-4 max|ref|.
Also checks that loading an extended folder *without* trust_remote_code fails instead of silently
building the stock model. Writes tests/reference/export_transformers.json (committed as evidence).
"""
from __future__ import annotations

import json
import pathlib
import platform
import sys

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "reference" / "export_transformers.json"


@torch.no_grad()
def check(folder: pathlib.Path) -> dict:
    ours = load_file(folder.parent / f"ours_{folder.name}.safetensors")
    config = json.loads((folder / "config.json").read_text())
    extended = "moewb_compression" in config
    model, info = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64, attn_implementation="eager",
                                                       experts_implementation="eager", trust_remote_code=extended,
                                                       output_loading_info=True)
    unloaded = sorted(info["missing_keys"]) + sorted(info["unexpected_keys"]) + sorted(info["mismatched_keys"])
    model.eval()
    ids = ours["input_ids"]
    logits = model(input_ids=ids).logits.float()
    ref = ours["logits"]
    diff = (logits - ref).abs().max().item()
    scale = ref.abs().max().item()
    result = {
        "folder": folder.name,
        "class": type(model).__name__,
        "config_model_type": config["model_type"],
        "layers": config["num_hidden_layers"],
        "tokens": int(ids.numel()),
        "max_abs_diff": diff,
        "max_abs_logit": scale,
        "tolerance": 1e-4 * scale,
        "missing_unexpected_or_mismatched_keys": unloaded,
        "passed": diff <= 1e-4 * scale and not unloaded,
        "top1_agreement": (logits.argmax(-1) == ref.argmax(-1)).float().mean().item(),
    }
    if extended:
        assert type(model).__name__.startswith("Moewb"), type(model).__name__
        try:
            AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=False)
            result["without_trust_remote_code"] = "loaded (unexpected)"
            result["passed"] = False
        except Exception as e:  # noqa: BLE001 - any refusal is what we want
            result["without_trust_remote_code"] = f"refused: {type(e).__name__}"
    return result


def main() -> int:
    base = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/moewb-export-evidence")
    folders = sorted(p for p in base.iterdir() if p.is_dir() and (p / "config.json").exists())
    if not folders:
        print(f"no exported folders in {base}; run the 'export evidence' test case first", file=sys.stderr)
        return 2
    results = []
    for folder in folders:
        r = check(folder)
        results.append(r)
        print(f"{r['folder']:<22} {r['class']:<32} max|diff| {r['max_abs_diff']:.3g} "
              f"(tol {r['tolerance']:.3g}) top-1 {r['top1_agreement']:.3f} {'ok' if r['passed'] else 'FAIL'}")
    OUT.write_text(json.dumps({
        "what": "moe-compress export folders loaded by stock transformers vs the project's logits "
                "(tests/reference/check_export_transformers.py)",
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "transformers": transformers.__version__},
        "results": results,
    }, indent=2) + "\n")
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
