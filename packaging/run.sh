#!/usr/bin/env bash
# The README's main command: install dependencies, build, then open the workbench on a display,
# or run the headless CLI on real inputs when there is no display.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/packaging/build.sh" release
bin="$here/build/release/app"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$bin/moe-workbench" ]; then
  exec "$bin/moe-workbench" "$@"
fi
echo "No display: running the command-line tool."
"$bin/moe-compress" --version
echo
echo "== Qwen1.5-MoE-A2.7B, from its published config.json =="
"$bin/moe-compress" inspect --from-config "$here/tests/data/configs/qwen1.5-moe-a2.7b"
echo
echo "== A small DeepSeek-V2-style checkpoint (MLA, YaRN, shared experts), read and validated =="
"$bin/moe-compress" inspect "$here/tests/reference/golden/deepseek_v2_lite"
