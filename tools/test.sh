#!/usr/bin/env bash
# The README's test command: installs what is missing, configures (CUDA on
# when nvcc and cuDNN are present: the CUDA sources then compile for sm_90
# even without a GPU), builds, and runs every test. GPU tests skip cleanly
# without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
build=${CUTRAIN_BUILD_DIR:-build}
jobs=${CUTRAIN_JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CUTRAIN_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"
