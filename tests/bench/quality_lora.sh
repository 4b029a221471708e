#!/usr/bin/env bash
# The LoRA recovery quality table (docs/lora.md, issue #18): on each demo model, MoE-I² pruning 50%
# of the routed experts, then low rank (decomposition rate 0.3) on the survivors; LoRA recovery
# fine-tuning on calib.txt (the first 880 lines; the last 101 lines are the early-stopping held-out
# text); perplexity on eval.txt and task accuracy before and after recovery vs the original.
# Not part of CI. Resumable (a step whose output exists is skipped). A session of the same
# plan (tests/bench/quality_lowrank.sh's lowrank-MODEL-prune50.h5) may be copied in first as
# OUT_DIR/lora-MODEL.h5: its search is reused.
#   tests/bench/quality_lora.sh MOE_COMPRESS OUT_DIR [THREADS] [STEPS] [MODEL...]
set -euo pipefail
bin=$1
out=$2
threads=${3:-1}
steps=${4:-200}
shift 4 || shift $#
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=$here/resources/demo
models=("${@:-qwen mixtral deepseek}")
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
head -n 880 "$demo/calib.txt" >"$out/train.txt"
tail -n +881 "$demo/calib.txt" >"$out/valid.txt"
for model in ${models[@]}; do
    s=$out/lora-$model.h5
    [ -s "$out/run-$model.json" ] || "$bin" -t "$threads" run --method moe-i2 "$demo/models/$model" \
        --calib "$demo/calib.txt" -n 64 -s 128 --session "$s" --plan-name p50lr --ratio 0.5 --decomp-rate 0.3 \
        --no-eval --json >"$out/run-$model.json.tmp" 2>"$out/run-$model.log" && mv "$out/run-$model.json.tmp" "$out/run-$model.json"
    [ -s "$out/finetune-$model.json" ] || "$bin" -t "$threads" finetune "$s" --plan p50lr --train "$out/train.txt" \
        --valid "$out/valid.txt" -s 128 --batch 4 --steps "$steps" --lr 5e-4 --warmup 10 --eval-every 20 \
        --eval-blocks 16 --patience 3 --lora-rank 8 --json >"$out/finetune-$model.json.tmp" 2>"$out/finetune-$model.log" \
        && mv "$out/finetune-$model.json.tmp" "$out/finetune-$model.json"
    for plan in p50lr p50lr-lora; do
        f=$out/eval-$model-$plan.json
        [ -s "$f" ] || "$bin" -t "$threads" eval "$demo/models/$model" --session "$s" --plan "$plan" --compare-original \
            --text "$demo/eval.txt" -s 128 --tasks "$demo/tasks.jsonl" --json >"$f.tmp" 2>/dev/null && mv "$f.tmp" "$f"
    done
done
echo "done: $out"
