#!/usr/bin/env python3
"""Markdown table from tests/bench/quality_lora.sh's output folders (docs/lora.md); recovery by
   next-token loss (PLAN-lora) and by distillation (PLAN-kd, OBJECTIVE=distill) when present.
   lora_table.py OUT_DIR:PLAN [OUT_DIR:PLAN ...]"""
import json, os, sys

print("| model | plan | parameters | perplexity | KL (nats/token) | top-1 agreement | task acc | recovery |")
print("|---|---|---|---|---|---|---|---|")
for model in ("qwen", "mixtral", "deepseek"):
    first = True
    for arg in sys.argv[1:]:
        out, plan = arg.split(":")
        for key, label in ((plan, plan), (plan + "-lora", plan + " + LoRA (LM loss)"),
                           (plan + "-kd", plan + " + LoRA (distillation)")):
            ft = os.path.join(out, f"finetune-{model}-{plan}{'-kd' if key.endswith('-kd') else ''}.json")
            f = os.path.join(out, f"eval-{model}-{key}.json")
            if not os.path.exists(f):
                continue
            d = json.load(open(f))
            m, r = d["models"][0], d["models"][1]
            if first:
                print(f"| {model} | original | {r['parameters']:,} | {r['perplexity']['perplexity']:.2f} | 0 | 100% | "
                      f"{r['multiple_choice']['acc']:.3f} | |")
                first = False
            rec = ""
            if key != plan and os.path.exists(ft):
                t = json.load(open(ft))
                ho = {h["step"]: h["perplexity"] for h in t["held_out"]}
                rec = f"{t['steps']} steps, {t['seconds']:.0f} s, {t['lora_parameters']:,} LoRA parameters; "
                if ho:
                    kl = {h["step"]: h["kl"] for h in t["held_out"] if "kl" in h}  # distillation, selected by it
                    rec += f"held-out ppl {ho.get(0, float('nan')):.2f} -> {ho.get(t['best_step'], float('nan')):.2f}"
                    if kl:
                        rec += f", KL {kl.get(0, float('nan')):.4f} -> {kl.get(t['best_step'], float('nan')):.4f}"
                    rec += f" (step {t['best_step']} kept{', stopped early' if t['early_stopped'] else ''})"
                else:
                    rec += "no held-out text: the last step's adapters"
            print(f"| {model} | {label} | {m['parameters']:,} ({100 * m['parameters'] / r['parameters']:.1f}%) | "
                  f"{m['perplexity']['perplexity']:.2f} | {d['kl']['mean']:.4f} | {100 * d['kl']['top1_agreement']:.1f}% | "
                  f"{m['multiple_choice']['acc']:.3f} | {rec} |")
