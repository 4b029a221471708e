#!/usr/bin/env bash
# The README's main command: install dependencies, build, then open the workbench on the Qwen-style
# demo model when there is a display, or run the headless pipeline on it when there is none.
#   packaging/run.sh [MODEL_DIR]   (default: resources/demo/models/qwen)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# Only the two programs: the test binaries are packaging/test.sh's business (a cold build of both
# executables takes a fraction of the whole tree's time).
MOEWB_TARGETS="${MOEWB_TARGETS:-moe-compress moe-workbench}" bash "$here/packaging/build.sh" release
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
echo "== MoE-I2 end to end: analysis, genetic + KT pruning (25% of the experts), low-rank experts"
echo "   (30% of the rest), then the compressed model against the original on held-out text and tasks =="
"$bin/moe-compress" run --method moe-i2 "$model" --calib "$demo/calib.txt" -n 64 -s "$len" --session "$session" \
  --ratio 0.25 --decomp-rate 0.3 --eval-text "$demo/eval.txt" --tasks "$demo/tasks.jsonl"
echo
echo "== The compressed model in memory: parameters, bytes and speed against the original =="
"$bin/moe-compress" apply "$model" --session "$session" --plan moe-i2
echo
echo "Session written to $session (reopen it with moe-workbench, or rerun: every stage is reused)"
