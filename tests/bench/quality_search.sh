#!/usr/bin/env bash
# The MoE-I² search quality table (docs/search.md, issue #11): on each demo model at 25% and 50% expert
# pruning, GA+KT vs GA alone vs routing-frequency vs random pruning, with the same per-layer counts,
# 3 seeds where random; perplexity on the held-out eval.txt and accuracy on tasks.jsonl.
# Not part of CI (about an hour on 2 busy cores). Resumable: finished evaluations are kept.
#   tests/bench/quality_search.sh MOE_COMPRESS OUT_DIR [MODEL...]
set -euo pipefail
bin=$1
out=$2
shift 2
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=$here/resources/demo
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(mixtral qwen deepseek)
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
for model in "${models[@]}"; do
    for ratio in 0.25 0.5; do
        s=$out/$model-$ratio.h5
        calib=(--calib "$demo/calib.txt" -n 64 -s 128 --ratio "$ratio")
        plans=()
        for seed in 0 1 2; do
            [ -f "$out/.searched-$model-$ratio-$seed" ] || {
                "$bin" -t 1 search "$demo/models/$model" --session "$s" "${calib[@]}" --seed "$seed" \
                    --plan-name "gakt-$seed" >"$out/search-$model-$ratio-$seed.txt" 2>&1
                touch "$out/.searched-$model-$ratio-$seed"; }
            plans+=("gakt-$seed" "gakt-$seed-ga")
            [ -f "$out/.random-$model-$ratio-$seed" ] || {
                "$bin" -t 1 search "$demo/models/$model" --session "$s" "${calib[@]}" --baseline random --seed "$seed" \
                    >/dev/null 2>&1
                touch "$out/.random-$model-$ratio-$seed"; }
            plans+=("random-$seed")
        done
        "$bin" -t 1 search "$demo/models/$model" --session "$s" "${calib[@]}" --baseline frequency >/dev/null 2>&1
        plans+=(frequency)
        for plan in "${plans[@]}"; do
            f=$out/eval-$model-$ratio-$plan.json
            [ -s "$f" ] || { "$bin" -t 1 eval "$demo/models/$model" --session "$s" --plan "$plan" --no-save \
                --text "$demo/eval.txt" -s 128 --tasks "$demo/tasks.jsonl" --json >"$f.tmp" 2>/dev/null && mv "$f.tmp" "$f"; }
        done
    done
    f=$out/eval-$model-original.json
    [ -s "$f" ] || { "$bin" -t 1 eval "$demo/models/$model" --text "$demo/eval.txt" -s 128 --tasks "$demo/tasks.jsonl" \
        --json >"$f.tmp" 2>/dev/null && mv "$f.tmp" "$f"; }
done
echo "done: $out"
