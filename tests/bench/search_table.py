#!/usr/bin/env python3
"""Markdown table from tests/bench/quality_search.sh's output folder (docs/search.md, issue #11):
   per demo model and pruning ratio, held-out perplexity and task accuracy of GA+KT, GA alone,
   routing-frequency and random pruning; mean +- sd over the seeds that finished.
   search_table.py OUT_DIR"""
import glob, json, os, statistics, sys

out = sys.argv[1]
methods = [("gakt-{s}", "GA + KT"), ("gakt-{s}-ga", "GA alone"), ("frequency", "routing frequency"),
           ("random-{s}", "random")]


def load(path):
    m = json.load(open(path))["models"][0]
    return m["perplexity"]["perplexity"], m["multiple_choice"]["acc"], m["parameters"]


def fmt(values, digits):
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


print("| model | experts pruned | method | seeds | parameters | perplexity | task accuracy |")
print("|---|---|---|---|---|---|---|")
for model in ("mixtral", "qwen", "deepseek"):
    orig = os.path.join(out, f"eval-{model}-original.json")
    if os.path.exists(orig):
        p, a, n = load(orig)
        print(f"| {model} | 0 | original | - | {n:,} | {p:.2f} | {a:.3f} |")
    for ratio in ("0.25", "0.5"):
        for key, label in methods:
            files = [os.path.join(out, f"eval-{model}-{ratio}-{key.format(s=s)}.json") for s in (0, 1, 2)]
            files = sorted(set(f for f in files if os.path.exists(f)))
            if not files:
                continue
            rows = [load(f) for f in files]
            ppl, acc, params = [r[0] for r in rows], [r[1] for r in rows], rows[0][2]
            print(f"| {model} | {int(float(ratio) * 100)}% | {label} | {len(rows)} | {params:,} | "
                  f"{fmt(ppl, 2)} | {fmt(acc, 3)} |")
