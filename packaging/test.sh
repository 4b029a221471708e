#!/usr/bin/env bash
# The README's test command: install dependencies, build (warnings are errors), run every test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
preset=${MOEWB_PRESET:-ci}
start=$(date +%s)
bash "$here/packaging/build.sh" "$preset"
cd "$here"
echo "build finished in $(( $(date +%s) - start )) s"
ctest --preset "$preset" -j "${MOEWB_JOBS:-$(nproc)}" "$@"
echo "build and tests finished in $(( $(date +%s) - start )) s"
