#!/usr/bin/env bash
# Runs cutrain's GPU checks on a machine with an NVIDIA GPU, from a build made
# elsewhere (tools/device/pack_build.sh): the device report, the GPU tests,
# compute-sanitizer (memcheck, racecheck, synccheck, initcheck) over them, and
# the kernel benchmarks. Logs go to $OUT (default ./gpu-check-out).
set -uo pipefail
pack=${1:-.devbuild}
out=${OUT:-gpu-check-out}
mkdir -p "$out"
source "$(dirname "$0")/device_env.sh" "$pack"
bin="$pack/bin"
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  "$bin/cutrain" --version
  "$bin/cutrain" devices
} 2>&1 | tee "$out/device.txt"
status=0
run() {  # name, command...
  local name=$1; shift
  echo "=== $name" | tee -a "$out/summary.txt"
  "$@" > "$out/$name.log" 2>&1
  local rc=$?
  tail -n 3 "$out/$name.log" | tee -a "$out/summary.txt"
  echo "rc=$rc" | tee -a "$out/summary.txt"
  [[ $rc == 0 ]] || status=1
}
run gpu_tests "$bin/gpu_tests"
run kernel_tests_cuda "$bin/kernel_tests" --gtest_filter='*/cuda'
run kernel_tests_emulated "$bin/kernel_tests" --gtest_filter='*/emulated'
if command -v compute-sanitizer >/dev/null; then
  for tool in memcheck racecheck synccheck initcheck; do
    run "sanitizer_${tool}_gpu_tests" compute-sanitizer --tool "$tool" --report-api-errors no --error-exitcode 9 "$bin/gpu_tests"
    run "sanitizer_${tool}_kernels" compute-sanitizer --tool "$tool" --error-exitcode 9 "$bin/kernel_tests" --gtest_filter='*/cuda'
  done
fi
for b in "$bin"/*_bench; do
  [[ -x $b ]] || continue
  run "bench_$(basename "$b")" "$b" --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
done
exit $status
