#!/usr/bin/env bash
# CI's hardening stages, called by tools/test.sh:
#   asan  an ASan + UBSan (LeakSanitizer included) CPU-only build running the
#         core, io, data, ops, graph, train and emulated-kernel tests (the
#         emulator's fiber switches carry ASan's annotations:
#         kernels/emu/scheduler.cpp, fiber.h);
#   fuzz  a libFuzzer build (clang) and a 20 s run of every fuzz target on
#         its seed corpus (tests/fuzz).
# Usage: tools/test_sanitize.sh [asan] [fuzz]   (default: both)
#
# Cost, measured on the 2-core development machine (shared with other
# builds, so upper bounds), fresh build directories, no ccache:
#   asan: build 957 s, tests 248 s                    (~20 min)
#   fuzz: build ~110 s, 7 targets x 20 s = 140 s      (~4 min)
# tools/test.sh runs `fuzz` by default (when clang++ is installed) and
# `asan` only with CUTRAIN_SANITIZE_STAGE=1: with it CI would pass its
# 30-minute budget on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${CUTRAIN_JOBS:-$(nproc)}
stages=("$@")
((${#stages[@]} > 0)) || stages=(asan fuzz)

run_asan() {
  local build=${CUTRAIN_ASAN_BUILD_DIR:-build-asan}
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTRAIN_CUDA=OFF \
    -DCUTRAIN_SANITIZE="address;undefined" -DCUTRAIN_BUILD_BENCH=OFF ${CUTRAIN_CMAKE_ARGS:-} >/dev/null
  cmake --build "$build" -j "$jobs" --target core_tests io_tests data_tests ops_tests graph_tests \
    train_tests emu_tests kernel_tests cutrain_cli
  # halt_on_error: a UBSan report fails the test instead of scrolling by.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$build" --output-on-failure -j "$jobs" -R '^(core|io|data|ops|graph|train|emu|kernels_emulated)$'
}

run_fuzz() {
  if ! command -v clang++ >/dev/null; then
    echo "test_sanitize: clang++ not found: fuzz smoke skipped"
    return 0
  fi
  local build=${CUTRAIN_FUZZ_BUILD_DIR:-build-fuzz}
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DCUTRAIN_FUZZ=ON -DCUTRAIN_BUILD_TESTS=OFF -DCUTRAIN_BUILD_BENCH=OFF \
    -DCUTRAIN_CUDA=OFF >/dev/null
  cmake --build "$build" -j "$jobs" --target fuzz_all
  # A fixed seed keeps the smoke run reproducible.
  FUZZ_ARGS="-seed=1 ${FUZZ_ARGS:-}" bash tests/fuzz/run.sh "$build" "${CUTRAIN_FUZZ_SMOKE_SECONDS:-20}"
}

for s in "${stages[@]}"; do
  case "$s" in
    asan) run_asan ;;
    fuzz) run_fuzz ;;
    *) echo "test_sanitize: unknown stage '$s' (asan, fuzz)"; exit 2 ;;
  esac
done
