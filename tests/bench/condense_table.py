#!/usr/bin/env python3
"""Markdown tables from tests/bench/quality_condense.sh's output folder (docs/condense.md), or with
   --moe-i2 from tests/bench/quality_moe_i2_matched.sh's (the MoE-I² rows of docs/holistic.md).
   condense_table.py [--moe-i2] OUT_DIR"""
import json, os, sys

moe_i2 = sys.argv[1] == "--moe-i2"
out = sys.argv[-1]


def load(name):
    f = os.path.join(out, name)
    return json.load(open(f)) if os.path.exists(f) and os.path.getsize(f) else None


def best_speed(model, key):
    """(applied, original) tokens/s, each the best over condense_speed.sh's rounds, or None."""
    rounds = [d for d in (load(f"speed-{model}-{key}-{r}.json") for r in range(1, 10)) if d]
    if not rounds:
        return None
    return (max(d["applied"]["tokens_per_s"] for d in rounds), max(d["original"]["tokens_per_s"] for d in rounds))


def row(model, label, strength, ev, ap, speed=None):
    m = ev["models"][0]
    mc = m["multiple_choice"]
    a = ap["applied"] if ap else None
    params = f"{a['parameters'] / 1e6:.2f} M" if a else f"{m['parameters'] / 1e6:.2f} M"
    nbytes = f"{ap['export_bytes']['applied'] / 1e6:.2f} MB" if ap else ""
    tps = f"{a['tokens_per_s']:.0f} ({ap['original']['tokens_per_s']:.0f})" if ap else ""
    if speed:
        tps = f"{speed[0]:.0f} ({speed[1]:.0f})"
    return (f"| {model} | {label} | {strength} | {m['perplexity']['perplexity']:.2f} | "
            f"{mc['acc']:.3f} ({mc['acc_norm']:.3f}) | {params} | {nbytes} | {tps} |")


print("| model | method | strength | perplexity | acc (acc_norm) | parameters | bytes | tokens/s (original) |")
print("|---|---|---|---|---|---|---|---|")
if moe_i2:
    labels = [("i2-prune25", "moe-i2 pruning", "25% experts (--ratio 0.25)"),
              ("i2-both25", "moe-i2 pruning + low rank", "--ratio 0.125 --decomp-rate 1/7"),
              ("i2-prune50", "moe-i2 pruning", "50% experts (--ratio 0.5)"),
              ("i2-both50", "moe-i2 pruning + low rank", "--ratio 0.25 --decomp-rate 1/3")]
    for model in ("mixtral", "qwen", "deepseek"):
        for key, label, strength in labels:
            ev, ap = load(f"eval-{model}-{key}.json"), load(f"apply-{model}-{key}.json")
            if ev:
                print(row(model, label, strength, ev, ap))
    sys.exit()
for model in ("qwen", "deepseek"):
    orig = load(f"eval-{model}-original.json")
    if not orig:
        continue
    m = orig["models"][0]
    mc = m["multiple_choice"]
    print(f"| {model} | original | — | {m['perplexity']['perplexity']:.2f} | {mc['acc']:.3f} ({mc['acc_norm']:.3f}) | "
          f"{m['parameters'] / 1e6:.2f} M | | |")
    for n in range(1, 9):
        for key, label in ((f"cd{n}-no-finetune", "condense"), (f"cd{n}", "condense + fine-tuning"),
                           (f"ld{n}", "layer-drop")):
            ev, ap = load(f"eval-{model}-{key}.json"), load(f"apply-{model}-{key}.json")
            if not ev:
                continue
            strength = f"{n} MoE layer{'s' if n > 1 else ''}"
            run = load(f"run-{model}-cd{n}.json") if key.startswith("cd") else None
            if run:
                layers = run["details"]["condensed_layers"]
                strength += " (" + ", ".join(f"L{l['layer']}: {l['experts']}" for l in layers) + ")"
            print(row(model, label, strength, ev, ap, best_speed(model, key)))
