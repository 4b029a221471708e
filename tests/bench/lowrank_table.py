#!/usr/bin/env python3
"""Markdown table from tests/bench/quality_lowrank.sh's output folder (docs/lowrank.md).
   lowrank_table.py OUT_DIR"""
import glob, json, os, re, sys

out = sys.argv[1]
configs = [("prune50", "pruning 50%"), ("lowrank50", "low rank 50% (activation)"),
           ("lowrank50-plain", "low rank 50% (plain SVD)"), ("both50", "pruning 25% + low rank 1/3")]
print("| model | plan | parameters | perplexity | KL (nats/token) | top-1 agreement | task acc | pipeline wall time | peak RSS |")
print("|---|---|---|---|---|---|---|---|---|")
for model in ("mixtral", "qwen", "deepseek"):
    first = True
    for key, label in configs:
        f = os.path.join(out, f"lowrank-eval-{model}-{key}.json")
        t = os.path.join(out, f"time-{model}-{key}.txt")
        if not os.path.exists(f):
            continue
        d = json.load(open(f))
        m, r = d["models"][0], d["models"][1]
        if first:
            print(f"| {model} | original | {r['parameters']:,} | {r['perplexity']['perplexity']:.2f} | 0 | 100% | "
                  f"{r['multiple_choice']['acc']:.3f} | | |")
            first = False
        wall = rss = ""
        if os.path.exists(t):
            text = open(t).read()
            w = re.search(r"Elapsed \(wall clock\) time.*: (.*)", text)
            k = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
            wall = w.group(1) if w else ""
            rss = f"{int(k.group(1)) / 1024:.0f} MiB" if k else ""
        print(f"| {model} | {label} | {m['parameters']:,} ({100 * m['parameters'] / r['parameters']:.1f}%) | "
              f"{m['perplexity']['perplexity']:.2f} | {d['kl']['mean']:.4f} | {100 * d['kl']['top1_agreement']:.1f}% | "
              f"{m['multiple_choice']['acc']:.3f} | {wall} | {rss} |")
