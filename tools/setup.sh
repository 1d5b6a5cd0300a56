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

if [[ "${CUTRAIN_SETUP_TORCH:-1}" == 1 ]]; then
  packages+=(python3-venv)
fi

# The interop tests (tests/interop) read our files with the ecosystem's own
# readers: tensorboard and safetensors from PyPI in a venv at .venv that
# still sees Debian's PyTorch and numpy (--system-site-packages).
make_test_venv() {
  local root venv
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  venv="$root/.venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    echo "setup: making the test venv $venv"
    /usr/bin/python3 -m venv --system-site-packages "$venv" || {
      echo "setup: could not make $venv; the interop tests will skip"
      return 0
    }
  fi
  if ! "$venv/bin/python" -c "import tensorboard, safetensors" 2>/dev/null; then
    echo "setup: installing tensorboard and safetensors into $venv"
    "$venv/bin/pip" install -q tensorboard safetensors ||
      echo "setup: could not install tensorboard and safetensors; the interop tests will skip"
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  [[ "${CUTRAIN_SETUP_TORCH:-1}" == 1 ]] && make_test_venv
  exit 0
fi

SUDO=""
if [[ $(id -u) != 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[[ "${CUTRAIN_SETUP_TORCH:-1}" == 1 ]] && make_test_venv
echo "setup: done"
