#!/usr/bin/env bash
# Installs everything MoE Workbench needs to build, test and run on Debian 12 (bookworm).
# Idempotent: skips apt-get when every package is already installed.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-base-dev-tools
  libqcustomplot-dev libgl-dev
  libtorch-dev libopenblas0-pthread
  libhdf5-dev libfmt-dev nlohmann-json3-dev libpcre2-dev
  xvfb xauth x11-apps dpkg-dev file desktop-file-utils appstream
  clang libclang-rt-14-dev
  doctest-dev libcli11-dev
  fonts-noto-cjk fonts-dejavu-core
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
