#!/usr/bin/env bash
# Tokens/s for the CD-MoE table (docs/condense.md): `apply` (8 x 128 tokens, best of 10 forwards) on every
# plan of tests/bench/quality_condense.sh's output, ROUNDS rounds with every plan once per round
# (the original is timed by each call too); condense_table.py keeps each plan's best round. Run it
# when the machine is as quiet as it gets: on the shared box the figures still move by tens of percent.
#   tests/bench/condense_speed.sh MOE_COMPRESS OUT_DIR [ROUNDS=2] [MODELS="qwen deepseek"]
set -euo pipefail
bin=$(realpath "$1")
out=$2
rounds=${3:-2}
models=${4:-qwen deepseek}
demo=$(cd "$(dirname "$0")/../.." && pwd)/resources/demo
export OMP_WAIT_POLICY=PASSIVE
for r in $(seq 1 "$rounds"); do
    for model in $models; do
        for f in "$out"/eval-"$model"-*.json; do
            plan=${f#"$out/eval-$model-"}
            plan=${plan%.json}
            [ "$plan" = original ] && continue
            s=$out/$model-${plan%-no-finetune}.h5
            "$bin" -t 1 apply "$demo/models/$model" --session "$s" --plan "$plan" -n 8 -s 128 --repeats 10 --json \
                >"$out/speed-$model-$plan-$r.json"
        done
    done
done
