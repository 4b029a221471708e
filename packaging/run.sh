#!/usr/bin/env bash
# The README's main command: install dependencies, build, then open the workbench on a display,
# or run the headless CLI pipeline when there is no display.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/packaging/build.sh" release
bin="$here/build/release/app"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$bin/moe-workbench" ]; then
  exec "$bin/moe-workbench" "$@"
fi
echo "No display: running the command-line pipeline."
"$bin/moe-compress" --version
exec "$bin/moe-compress" --help
