#!/bin/sh
# Usage: cli_signal.sh CUTRAIN WORKDIR
# SIGINT and SIGTERM stop `cutrain train` after the current step with exit
# codes 130 and 143, writing a checkpoint when --checkpoint-dir is set, and
# the checkpoint resumes. About 3 s (each run is signalled once it trains).
set -u
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
common="--model small_cnn --dataset synthetic --image-size 12 --batch-size 64 --device cpu --threads 1 -v 1 --no-test"
fail=0
run() {  # run SIGNAL EXPECTED-CODE NAME
  "$cli" train $common --epochs 1000 --checkpoint-dir "$dir/$3" >"$dir/$3.log" 2>&1 &
  pid=$!
  i=0
  # Signal once the first step ran (the progress bar shows it).
  while ! grep -q "1/32" "$dir/$3.log" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 300 ]; then echo "$3: training did not start"; cat "$dir/$3.log"; kill -9 "$pid"; fail=1; return; fi
    sleep 0.1
  done
  kill -s "$1" "$pid"
  wait "$pid"
  rc=$?
  if [ "$rc" -ne "$2" ]; then echo "$3: expected exit code $2 after SIG$1, got $rc"; cat "$dir/$3.log"; fail=1; fi
  grep -q "interrupted by SIG$1 after training batch" "$dir/$3.log" || { echo "$3: no interruption message"; cat "$dir/$3.log"; fail=1; }
  [ -f "$dir/$3/interrupted.safetensors" ] || { echo "$3: no checkpoint written"; fail=1; }
}
run INT 130 int
run TERM 143 term
if [ -f "$dir/int/interrupted.safetensors" ]; then
  "$cli" train $common --epochs 1 --max-steps 1 --resume "$dir/int/interrupted.safetensors" >"$dir/resume.log" 2>&1 ||
    { echo "resume from the interrupted checkpoint failed"; cat "$dir/resume.log"; fail=1; }
fi
[ "$fail" -eq 0 ] && echo "signals ok"
exit "$fail"
