#!/usr/bin/env bash
# The README's main command: install dependencies, build, then open the workbench on the Qwen-style
# demo model when there is a display, or run the headless pipeline on it when there is none.
#   packaging/run.sh [MODEL_DIR]   (default: resources/demo/models/qwen)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/packaging/build.sh" release
bin="$here/build/release/app"
demo="$here/resources/demo"
model=${1:-$demo/models/qwen}
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$bin/moe-workbench" ]; then
  exec "$bin/moe-workbench" "$model"
fi
out="$here/build/demo-run"
mkdir -p "$out"
session="$out/$(basename "$model")-session.h5"
# The demo models were trained on 128-token sequences: evaluate and calibrate at that length.
len=128
rm -f "$session"
echo "No display: running the command-line pipeline on $model."
echo
"$bin/moe-compress" --version
echo
echo "== The model =="
"$bin/moe-compress" inspect "$model"
echo
echo "== Held-out perplexity and the multiple-choice task =="
"$bin/moe-compress" eval "$model" --text "$demo/eval.txt" -s "$len"
"$bin/moe-compress" eval "$model" --tasks "$demo/tasks.jsonl"
echo
echo "== MoE-I2 analysis: calibration pass, expert removal losses, per-layer pruning counts =="
"$bin/moe-compress" analyze "$model" --calib "$demo/calib.txt" --session "$session" --ratio 0.25 -n 128 -s "$len"
echo
echo "== MoE-I2 search: genetic search per layer, then the KT block search =="
"$bin/moe-compress" search "$model" --session "$session"
echo
echo "Session written to $session"
