#!/bin/sh
# Usage: cli_backup_restore.sh CUTRAIN WORKDIR
# `cutrain train --backup-dir`: a run killed with SIGKILL at arbitrary
# batches (four times), then rerun with the same command, ends with the CSV
# log and the final checkpoint byte for byte those of an uninterrupted run;
# SIGTERM backs up at the batch it stops (exit 143) and the rerun resumes
# there; the backup is gone when training ends. About 10 s.
set -u
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir" || exit 1
common="--model small_cnn --dataset synthetic --image-size 12 --batch-size 64 --device cpu --threads 1 -v 2 --no-test --epochs 16 --seed 3"
fail=0

"$cli" train $common --checkpoint-dir ref --csv ref.csv >ref.log 2>&1 || { echo "reference run failed"; cat ref.log; exit 1; }

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# Starts the backed-up run and kills it with signal $1 once the CSV log has
# $2 lines (epochs done + header), $3 seconds later: a batch inside an epoch.
run_until() {
  "$cli" train $common --checkpoint-dir run --csv run.csv --backup-dir bk --backup-freq 5 >>run.log 2>&1 &
  pid=$!
  i=0
  while [ "$(lines run.csv)" -lt "$2" ] && kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 600 ]; then echo "no progress to $2 CSV lines"; cat run.log; kill -9 "$pid"; fail=1; return; fi
    sleep 0.05
  done
  sleep "$3"
  kill -s "$1" "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
}

# The delays are fractions of an epoch (~0.1 s here): kills land on varied batches.
for stop in "2 0.03" "5 0.07" "8 0.01" "11 0.05"; do
  set -- $stop
  run_until KILL "$1" "$2"
  if [ "$rc" -ne 137 ]; then echo "expected SIGKILL's 137 (killed while training), got $rc"; cat run.log; fail=1; fi
  [ -f bk/state.json ] || { echo "no backup after a kill at CSV line $1"; fail=1; }
done
run_until TERM 14 0.02
if [ "$rc" -ne 143 ]; then echo "expected 143 after SIGTERM, got $rc"; cat run.log; fail=1; fi
grep -q "interrupted by SIGTERM after training batch" run.log || { echo "no interruption message"; fail=1; }
"$cli" train $common --checkpoint-dir run --csv run.csv --backup-dir bk --backup-freq 5 >>run.log 2>&1 ||
  { echo "the last rerun failed"; cat run.log; fail=1; }

resumes=$(grep -c "BackupAndRestore: resuming from bk at epoch" run.log)
[ "$resumes" -eq 5 ] || { echo "expected 5 resumes, the log shows $resumes"; cat run.log; fail=1; }
# SIGTERM's backup is the batch it stopped at: the message names that batch.
term_batch=$(sed -n 's/.*interrupted by SIGTERM after training batch \([0-9]*\).*/\1/p' run.log)
grep "BackupAndRestore: resuming" run.log | tail -1 | grep -q "after batch $term_batch\$" ||
  { echo "SIGTERM at batch $term_batch did not back up there:"; grep "BackupAndRestore" run.log; fail=1; }
cmp ref.csv run.csv || { echo "CSV logs differ"; diff ref.csv run.csv; fail=1; }
cmp ref/epoch-016.safetensors run/epoch-016.safetensors || { echo "final checkpoints differ"; fail=1; }
[ ! -e bk ] || { echo "the backup is still there after training ended"; ls bk; fail=1; }
[ "$fail" -eq 0 ] && echo "backup and restore ok"
exit "$fail"
