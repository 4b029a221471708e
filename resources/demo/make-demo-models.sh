#!/usr/bin/env bash
# Trains the three demo models exactly as committed in resources/demo/models (issue #8) and prints
# their bars (docs/demo-models.md). Needs the corpus (make-corpus.sh) and a built moe-compress.
#   resources/demo/make-demo-models.sh CORPUS_DIR [OUT_DIR] [MOE_COMPRESS]
# One thread per model (results are deterministic for a seed and a thread count); the three run in
# parallel. Interrupted trainings resume from OUT_DIR/<arch>.work when the script is run again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:?usage: make-demo-models.sh CORPUS_DIR [OUT_DIR] [MOE_COMPRESS]}
out=${2:-$here/models}
bin=${3:-$here/../../build/release/app/moe-compress}
mkdir -p "$out"
# Load-balancing weight 0.01 for all three. Mixtral (8 experts) trains with decayed routers drawn like
# every other matrix; Qwen and DeepSeek (16 experts) need undecayed routers drawn with std 0.1 to route
# confidently in one epoch (docs/demo-models.md).
settings() {
  case $1 in
    mixtral) echo "--aux 0.01 --router-weight-decay 0.1" ;;
    *) echo "--aux 0.01 --router-weight-decay 0 --router-init-std 0.1" ;;
  esac
}
for arch in mixtral qwen deepseek; do
  if [ -f "$out/$arch/model.safetensors" ]; then
    echo "$out/$arch exists: skipped (remove it to retrain)"
    continue
  fi
  "$bin" --threads 1 train --arch "$arch" --tokenizer "$here/tokenizer" \
    --train "$corpus/train.txt" --valid "$corpus/validation.txt" --out "$out/$arch" --work "$out/$arch.work" \
    --steps 500 --batch 16 --seq-len 128 --lr 3e-3 --warmup 50 --weight-decay 0.1 --seed 1 $(settings "$arch") \
    --eval-every 100 --checkpoint-every 25 > "$out/$arch.log" 2>&1 &
done
wait
for arch in mixtral qwen deepseek; do
  "$bin" train-report "$out/$arch" --train "$corpus/train.txt" --valid "$corpus/validation.txt" \
    --test "$corpus/test.txt" --tasks "$here/tasks.jsonl"
done
