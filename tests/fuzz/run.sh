#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, one after
# another, niced, on a scratch copy of its seed corpus; prints one line per
# target (executions, corpus size, crashes) and exits 1 if any target found
# a crash, leak, timeout or out-of-memory input (kept under WORK/artifacts).
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#   BUILD_DIR: a CUTRAIN_FUZZ=ON build (tests/fuzz/CMakeLists.txt says how)
#   TARGET:    idx cifar10 png jpeg safetensors checkpoint tensorboard cli
# Environment: FUZZ_WORK (scratch folder, default BUILD_DIR/fuzz-work),
# FUZZ_ARGS (extra libFuzzer flags).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(idx cifar10 png jpeg safetensors checkpoint tensorboard)
  [[ -x "$build/tests/fuzz/fuzz_cli" ]] && targets+=(cli)
fi
work=${FUZZ_WORK:-$build/fuzz-work}
mkdir -p "$work"
status=0
printf '%-12s %12s %8s %8s %s\n' target executions exec/s corpus result
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz_$t"
  [[ -x "$exe" ]] || { echo "$t: $exe not built"; status=1; continue; }
  corpus="$work/corpus/$t"
  artifacts="$work/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  log="$work/$t.log"
  stamp="$work/$t.start"
  : >"$stamp"
  # Small inputs and a memory cap: the parsers must bound their allocations.
  nice -n 15 "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} \
    "$corpus" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  found=$(find "$artifacts" -type f -newer "$stamp" | wc -l)  # this run's only
  result=ok
  if ((rc != 0 || found > 0)); then
    result="FOUND $found (exit $rc; see $log)"
    status=1
  fi
  printf '%-12s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$size" "$result"
done
exit $status
