#!/usr/bin/env bash
# PEFT adapters written by `moe-compress export --peft` load in Hugging Face peft on top of the exported
# base and compute what the merged export computes (issue #18; never run in CI). For each demo model:
# Expert Drop (25%, the same count per layer: the standard kind), LoRA fine-tuning on attention (and
# shared experts) with a high learning rate so the adapters matter, then the plan exported twice:
# merged (`--format standard`) and as base + PEFT adapter (`--peft`), both fp32. Then
# tests/reference/check_peft.py compares the logits in float64 and writes tests/reference/peft_adapter.json.
#   tests/reference/gen_peft_evidence.sh MOE_COMPRESS [OUT_DIR]
set -euo pipefail
bin=$1
out=${2:-/tmp/moewb-peft-evidence}
here=$(cd "$(dirname "$0")/../.." && pwd)
demo=$here/resources/demo
export OMP_WAIT_POLICY=PASSIVE
rm -rf "$out"
mkdir -p "$out"
for model in qwen mixtral deepseek; do
    s=$out/$model.h5
    "$bin" -t 1 run "$demo/models/$model" --method expert-drop --drop-ratio 0.25 --calib "$demo/calib.txt" -n 8 -s 64 \
        --session "$s" --plan-name ed --no-eval >"$out/$model-run.log" 2>&1
    targets=attention,shared
    [ "$model" = deepseek ] && targets=attention # peft misplaces DeepSeek's shared-expert adapters (refused)
    "$bin" -t 1 finetune "$s" --plan ed --train "$demo/calib.txt" --steps 8 --warmup 1 --lr 1e-2 --batch 2 -s 64 \
        --targets $targets --dropout 0 --lora-alpha 16 --lora-rank 4 --json >"$out/$model-finetune.json" 2>/dev/null
    "$bin" -t 1 export "$s" "$out/${model}_merged" --plan ed-lora --format standard --dtype fp32 --json \
        >"$out/${model}_merged.json" 2>/dev/null
    "$bin" -t 1 export "$s" "$out/${model}_peft" --plan ed-lora --peft --dtype fp32 --json >"$out/${model}_peft.json" 2>/dev/null
    # Refused: adapters on routed experts (and DeepSeek's shared experts).
    "$bin" -t 1 finetune "$s" --plan ed --plan-name ed-all --train "$demo/calib.txt" --steps 1 --batch 1 -s 32 \
        --json >/dev/null 2>&1
    if "$bin" -t 1 export "$s" "$out/${model}_refused" --plan ed-all --peft >"$out/${model}_refused.txt" 2>&1; then
        echo "$model: --peft with routed-expert adapters was not refused" >&2
        exit 1
    fi
done
"$here/.venv-ref/bin/python" "$here/tests/reference/check_peft.py" "$out" 2>/dev/null ||
    /work/main/.venv-ref/bin/python "$here/tests/reference/check_peft.py" "$out"
