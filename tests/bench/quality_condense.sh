#!/usr/bin/env bash
# The CD-MoE quality table (docs/condense.md, issue #17): on the Qwen-style and DeepSeek-style demo
# models, condensing N MoE layers (k_c routed experts kept) against Layer Drop of N MoE sublayers, before
# and after fine-tuning the condensed layers' experts on calib.txt; perplexity on the held-out eval.txt,
# task accuracy on tasks.jsonl, parameters / bytes / tokens/s from `apply`. Not part of CI. Resumable
# (finished steps are skipped). The table: tests/bench/condense_table.py OUT_DIR.
#   tests/bench/quality_condense.sh MOE_COMPRESS OUT_DIR [LAYERS="1 2"] [MODELS="qwen deepseek"]
# Environment: EXPERTS (k_c, default 2), STEPS (fine-tuning steps, 50), LR (1e-3), CALIB_N (calibration
# blocks, 32), THREADS (1).
set -euo pipefail
bin=$(realpath "$1")
out=$2
layers=${3:-1 2}
models=${4:-qwen deepseek}
experts=${EXPERTS:-2}
steps=${STEPS:-50}
lr=${LR:-1e-3}
calib_n=${CALIB_N:-32}
threads=${THREADS:-1}
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=$here/resources/demo
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
mc() { "$bin" -t "$threads" "$@"; }
source "$(dirname "$0")/resumable.sh"
# One session per run: a method's run may drop another method's plans from a shared session (see
# docs/condense.md), and separate sessions let runs of one model go in parallel.
for model in $models; do
    m=$demo/models/$model
    step "$out/eval-$model-original.json" mc eval "$m" --text "$demo/eval.txt" -s 128 --tasks "$demo/tasks.jsonl" --json
    for n in $layers; do
        step "$out/run-$model-cd$n.json" mc run --method condense "$m" --calib "$demo/calib.txt" -n "$calib_n" -s 128 \
            --session "$out/$model-cd$n.h5" --plan-name "cd$n" --layers "$n" --experts "$experts" --finetune-steps "$steps" \
            --finetune-lr "$lr" --train "$demo/calib.txt" --no-eval --json
        step "$out/run-$model-ld$n.json" mc run --method layer-drop "$m" --calib "$demo/calib.txt" -n "$calib_n" -s 128 \
            --session "$out/$model-ld$n.h5" --plan-name "ld$n" --drop-n "$n" --no-eval --json
    done
    for n in $layers; do
        for p in "cd$n-no-finetune:cd$n" "cd$n:cd$n" "ld$n:ld$n"; do
            plan=${p%%:*}
            s=$out/$model-${p##*:}.h5
            step "$out/eval-$model-$plan.json" mc eval "$m" --session "$s" --plan "$plan" --no-save --text "$demo/eval.txt" \
                -s 128 --tasks "$demo/tasks.jsonl" --json
            step "$out/apply-$model-$plan.json" mc apply "$m" --session "$s" --plan "$plan" -n 8 -s 128 --repeats 5 --json
        done
    done
done
echo "done: $out"
