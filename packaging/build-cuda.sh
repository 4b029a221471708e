#!/usr/bin/env bash
# Builds core, the CLI and the core tests (no Qt) against a CUDA LibTorch 2.x from a PyPI `torch`
# wheel - the usual situation on a GPU server - while the default build keeps Debian's LibTorch 1.13.
#   packaging/build-cuda.sh [PYTHON]
# PYTHON: an interpreter whose environment has (or gets) torch; default: a venv in build/torch-venv
# with `pip install ${MOEWB_TORCH_SPEC:-torch==2.10.0}` (the version verified here, a CUDA 12.8 wheel; set
# MOEWB_TORCH_SPEC=torch for the newest: torch 2.15.0+cu132 failed CMake's configure on 2026-11-23 with
# "requires the language dialect CUDA20 ... the current compiler NVIDIA does not support this" inside
# Caffe2's select_compute_arch.cmake, with this machine's nvcc).
# No CUDA toolkit is needed: the wheel's libcudart is handed to CMake (cmake/MoewbTorch.cmake).
# Environment: MOEWB_BUILD_DIR (default build/cuda), MOEWB_TARGETS, MOEWB_JOBS, MOEWB_SKIP_DEPS=1.
# Then: ctest --test-dir build/cuda -L cuda   (GPU tests; they skip themselves without a GPU)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${MOEWB_BUILD_DIR:-$here/build/cuda}
[ "${MOEWB_SKIP_DEPS:-0}" = 1 ] || bash "$here/packaging/setup-deps.sh"
py=${1:-}
if [ -z "$py" ]; then
    venv=$here/build/torch-venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    py=$venv/bin/python
fi
"$py" -c 'import torch' 2>/dev/null || "$py" -m pip install "${MOEWB_TORCH_SPEC:-torch==2.10.0}"
read -r prefix cudart version cuda < <("$py" - <<'PY'
import glob, os, torch
site = os.path.dirname(os.path.dirname(torch.__file__))
libs = sorted(glob.glob(os.path.join(site, "nvidia", "cuda_runtime", "lib", "libcudart.so*")))
print(torch.utils.cmake_prefix_path, libs[0] if libs else "-", torch.__version__, torch.version.cuda or "none")
PY
)
echo "build-cuda: torch $version (CUDA $cuda), LibTorch at $prefix"
args=(-DCMAKE_PREFIX_PATH="$prefix" -DMOEWB_BUILD_GUI=OFF -DCMAKE_BUILD_TYPE=Release)
[ "$cudart" = - ] || args+=(-DMOEWB_CUDA_RUNTIME="$cudart")
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
cmake -S "$here" -B "$build" -G Ninja "${args[@]}"
cmake --build "$build" -j "${MOEWB_JOBS:-$(nproc)}" ${MOEWB_TARGETS:+--target $MOEWB_TARGETS}
