#!/usr/bin/env bash
# MoE-I² at the parameter counts of the Expert Drop rows of docs/holistic.md (issue #16): 25% and 50% of
# the routed experts' parameters removed by pruning only (--ratio 0.25 / 0.5: the same expert count as
# Expert Drop layerwise 25% / 50%) and by pruning + low rank (--ratio 0.125 --decomp-rate 1/7:
# 0.875 x 6/7 = 0.75; --ratio 0.25 --decomp-rate 1/3: 0.75 x 2/3 = 0.5). Calibration as the holistic
# bench: 32 random windows of 128 tokens of calib.txt, seed 0. Perplexity on every window of eval.txt,
# tasks.jsonl accuracy (eval), parameters / bytes / tokens/s (apply). Not part of CI; resumable.
# The rows: tests/bench/condense_table.py --moe-i2 OUT_DIR.
#   tests/bench/quality_moe_i2_matched.sh MOE_COMPRESS OUT_DIR [MODELS="qwen"]
set -euo pipefail
bin=$(realpath "$1")
out=$2
models=${3:-qwen}
threads=${THREADS:-1}
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=$here/resources/demo
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
mc() { "$bin" -t "$threads" "$@"; }
source "$(dirname "$0")/resumable.sh"
configs=("i2-prune25 --ratio 0.25 --decomp-rate 0"
         "i2-both25 --ratio 0.125 --decomp-rate 0.142857"
         "i2-prune50 --ratio 0.5 --decomp-rate 0"
         "i2-both50 --ratio 0.25 --decomp-rate 0.333333")
for model in $models; do
    m=$demo/models/$model
    s=$out/moe-i2-$model.h5
    for config in "${configs[@]}"; do
        read -r name args <<<"$config"
        step "$out/run-$model-$name.json" mc run --method moe-i2 "$m" --calib "$demo/calib.txt" -n 32 -s 128 \
            --session "$s" --plan-name "$name" $args --no-eval --json
        step "$out/eval-$model-$name.json" mc eval "$m" --session "$s" --plan "$name" --no-save --text "$demo/eval.txt" \
            -s 128 --tasks "$demo/tasks.jsonl" --json
        step "$out/apply-$model-$name.json" mc apply "$m" --session "$s" --plan "$name" -n 8 -s 128 --repeats 5 --json
    done
done
echo "done: $out"
