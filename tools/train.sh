#!/usr/bin/env bash
# The README's main job. Installs what is missing, builds cutrain, then runs
# the main job on the GPU if one is present, else on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
CUTRAIN_SETUP_TORCH=0 bash tools/setup.sh
build=${CUTRAIN_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target cutrain_cli
"$build/cutrain" --version
"$build/cutrain" devices
