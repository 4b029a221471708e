#!/usr/bin/env bash
# The LoRA recovery quality table (docs/lora.md, issue #18): on each demo model, MoE-I² pruning 50%
# of the routed experts, then low rank (decomposition rate 0.3) on the survivors; LoRA recovery
# fine-tuning on calib.txt (the first 880 lines; the last 101 lines are the early-stopping held-out
# text); perplexity on eval.txt and task accuracy before and after recovery vs the original.
# Not part of CI. Resumable (a step whose output exists is skipped). The genetic search is small
# (population 16, 4 generations) to keep the table cheap. With PLAN other than p50lr, the session
# OUT_DIR/lora-MODEL.h5 must already hold that plan (e.g. tests/bench/quality_lowrank.sh's both50:
# pruning 25% + low rank 1/3, copied in) and only the recovery and the evaluations run.
# OBJECTIVE=distill (with TEMP=T, KD_WEIGHT=A) fine-tunes by distillation from the original model
# instead of next-token loss; its outputs carry a "-kd" suffix (plan PLAN-kd, finetune/eval files), so
# both objectives can share one OUT_DIR and session.
#   [LR=1e-3] [EVERY=20] [VALID=none] [OBJECTIVE=lm|distill] [TEMP=1] [KD_WEIGHT=1] tests/bench/quality_lora.sh MOE_COMPRESS OUT_DIR [THREADS] [STEPS] [PLAN] [MODEL...]
set -euo pipefail
bin=$1
out=$2
threads=${3:-1}
steps=${4:-200}
plan0=${5:-p50lr}
shift 5 || shift $#
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=$here/resources/demo
models=("${@:-qwen mixtral deepseek}")
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
head -n 880 "$demo/calib.txt" >"$out/train.txt"
tail -n +881 "$demo/calib.txt" >"$out/valid.txt"
valid="--valid $out/valid.txt"
objective=${OBJECTIVE:-lm}
kd=() suffix=lora tag=
if [ "$objective" = distill ]; then
    kd=(--objective distill --temperature "${TEMP:-1}" --distill-weight "${KD_WEIGHT:-1}")
    suffix=kd tag=-kd
fi
[ "${VALID:-}" = none ] && valid= # no held-out evaluation: the adapters after the last step are kept
for model in ${models[@]}; do
    s=$out/lora-$model.h5
    if [ "$plan0" = p50lr ] && [ ! -s "$out/run-$model.json" ]; then
        "$bin" -t "$threads" run --method moe-i2 "$demo/models/$model" --calib "$demo/calib.txt" -n 64 -s 128 \
            --session "$s" --plan-name p50lr --ratio 0.5 --decomp-rate 0.3 --population 16 --generations 4 \
            --no-eval --json >"$out/run-$model.json.tmp" 2>"$out/run-$model.log"
        mv "$out/run-$model.json.tmp" "$out/run-$model.json"
    fi
    ft=$out/finetune-$model-$plan0$tag
    if [ ! -s "$ft.json" ]; then
        "$bin" -t "$threads" finetune "$s" --model "$demo/models/$model" --plan "$plan0" --plan-name "$plan0-$suffix" \
            --train "$out/train.txt" $valid -s 128 --batch 4 --steps "$steps" --lr "${LR:-1e-3}" --warmup 5 \
            --eval-every "${EVERY:-20}" --eval-blocks 8 --patience 3 --lora-rank 8 "${kd[@]}" --json >"$ft.json.tmp" 2>"$ft.log"
        mv "$ft.json.tmp" "$ft.json"
    fi
    for plan in "$plan0" "$plan0-$suffix"; do
        f=$out/eval-$model-$plan.json
        if [ ! -s "$f" ]; then
            "$bin" -t "$threads" eval "$demo/models/$model" --session "$s" --plan "$plan" --compare-original \
                --text "$demo/eval.txt" -s 128 --tasks "$demo/tasks.jsonl" --json >"$f.tmp" 2>/dev/null
            mv "$f.tmp" "$f"
        fi
    done
done
echo "done: $out"
