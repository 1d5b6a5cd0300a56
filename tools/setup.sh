#!/usr/bin/env bash
# Installs every Debian package cutrain needs. Idempotent and quiet: prints
# what it installs, nothing when all is present. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev liblapacke-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  zlib1g-dev libpng-dev libjpeg62-turbo-dev
  openmpi-bin libopenmpi-dev
  dataset-fashion-mnist
  # libFuzzer (tests/fuzz: CUTRAIN_FUZZ=ON) and the sanitizer runtimes.
  clang libclang-rt-14-dev
)
# Golden tests and side-by-side benchmarks compare with PyTorch (Debian's build).
if [[ "${CUTRAIN_SETUP_TORCH:-1}" == 1 ]]; then
  packages+=(python3 python3-numpy python3-torch python3-torchvision)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) != 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
