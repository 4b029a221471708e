#!/usr/bin/env bash
# Installs dependencies (Debian 12) and builds MoE Workbench with the given CMake preset.
#   packaging/build.sh [preset]   (default: dev)
# MOEWB_BUILD_DIR overrides the preset's build folder (parallel work in one checkout); MOEWB_TARGETS
# builds only the named targets (space-separated).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
preset=${1:-dev}
bash "$here/packaging/setup-deps.sh"
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Hash paths relative to the checkout so a fresh clone elsewhere (CI) still hits the cache.
export CCACHE_BASEDIR="$here"
export CCACHE_NOHASHDIR=1
jobs=${MOEWB_JOBS:-$(nproc)}
cd "$here"
if [ -n "${MOEWB_BUILD_DIR:-}" ]; then
    cmake --preset "$preset" -B "$MOEWB_BUILD_DIR" >/dev/null
    cmake --build "$MOEWB_BUILD_DIR" -j "$jobs" ${MOEWB_TARGETS:+--target $MOEWB_TARGETS}
else
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs" ${MOEWB_TARGETS:+--target $MOEWB_TARGETS}
fi
