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
# Hardening stages (tools/test_sanitize.sh says what they cost): the fuzz
# smoke run (~4 min) unless CUTRAIN_FUZZ_SMOKE=0; the ASan + UBSan test run
# (~20 min) only with CUTRAIN_SANITIZE_STAGE=1, which CI's 30 minutes on 2
# cores do not leave room for.
if [[ "${CUTRAIN_FUZZ_SMOKE:-1}" == 1 ]]; then bash tools/test_sanitize.sh fuzz; fi
if [[ "${CUTRAIN_SANITIZE_STAGE:-0}" == 1 ]]; then bash tools/test_sanitize.sh asan; fi
