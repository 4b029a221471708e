#!/usr/bin/env bash
# The MoE-I² low-rank quality table (docs/lowrank.md, issue #12): on each demo model, half of the routed
# expert parameters removed by pruning only (ratio 0.5), low-rank only (decomposition rate 0.5, plain
# and activation-aware SVD), and pruning + low-rank (ratio 0.25 then rate 1/3: 0.75 x 2/3 = 0.5);
# perplexity and KL on the held-out eval.txt, task accuracy; the pipeline's wall time and peak RSS
# (GNU time) without the evaluation. Not part of CI. Resumable.
#   tests/bench/quality_lowrank.sh MOE_COMPRESS OUT_DIR [THREADS] [MODEL...]
set -euo pipefail
bin=$1
out=$2
threads=${3:-2}
shift 3 || shift $#
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=$here/resources/demo
models=("${@:-mixtral qwen deepseek}")
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
configs=("prune50 --ratio 0.5 --decomp-rate 0"
         "lowrank50 --ratio 0 --decomp-rate 0.5"
         "lowrank50-plain --ratio 0 --decomp-rate 0.5 --svd plain"
         "both50 --ratio 0.25 --decomp-rate 0.333333")
for model in ${models[@]}; do
    for config in "${configs[@]}"; do
        read -r name args <<<"$config"
        s=$out/lowrank-$model-$name.h5
        [ -s "$out/time-$model-$name.txt" ] || /usr/bin/time -v "$bin" -t "$threads" run --method moe-i2 "$demo/models/$model" \
            --calib "$demo/calib.txt" -n 64 -s 128 --session "$s" --plan-name "$name" $args --no-eval --json \
            >"$out/run-$model-$name.json" 2>"$out/time-$model-$name.txt"
        f=$out/lowrank-eval-$model-$name.json
        [ -s "$f" ] || "$bin" -t "$threads" eval "$demo/models/$model" --session "$s" --plan "$name" --compare-original \
            --text "$demo/eval.txt" -s 128 --tasks "$demo/tasks.jsonl" --json >"$f.tmp" 2>/dev/null && mv "$f.tmp" "$f"
    done
done
echo "done: $out"
