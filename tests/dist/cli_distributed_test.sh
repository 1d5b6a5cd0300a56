#!/bin/sh
# cli_distributed_test.sh CUTRAIN MPIEXEC [FLAGS...]: `cutrain train
# --distributed` on 2 ranks prints once and writes its checkpoints once (rank
# 0), and a checkpoint written by 2 ranks at batch 16 resumes in one process
# at the same global batch (32).
set -u
cutrain=$1
shift
dir=$(mktemp -d /tmp/cutrain-ddp-XXXXXX)
trap 'rm -rf "$dir"' EXIT
common="train --model small_cnn --dataset synthetic --device cpu --threads 1 -v 2 --no-test"
fail=0
out=$("$@" -np 2 "$cutrain" $common --epochs 1 --batch-size 16 --distributed \
      --checkpoint-dir "$dir/ckpt" --csv "$dir/log.csv" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: distributed run exited $rc"; fail=1; }
[ "$(printf '%s\n' "$out" | grep -c '^training small_cnn')" = 1 ] || { echo "FAIL: not printed once"; fail=1; }
printf '%s\n' "$out" | grep -q 'global batch 32' || { echo "FAIL: no global batch"; fail=1; }
[ -f "$dir/ckpt/epoch-001.safetensors" ] || { echo "FAIL: no checkpoint"; fail=1; }
[ "$(wc -l < "$dir/log.csv")" = 2 ] || { echo "FAIL: CSV not written once (header + 1 epoch)"; fail=1; }
out=$("$cutrain" $common --epochs 2 --batch-size 32 --resume "$dir/ckpt/epoch-001.safetensors" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: resume in one process exited $rc"; fail=1; }
printf '%s\n' "$out" | grep -q '^Epoch 2/2' || { echo "FAIL: resume did not continue at epoch 2"; fail=1; }
[ $fail = 0 ] && echo "cli_distributed_test: ok"
