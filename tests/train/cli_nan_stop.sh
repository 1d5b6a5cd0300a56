#!/bin/sh
# Usage: cli_nan_stop.sh CUTRAIN WORKDIR
# A run that diverges (learning rate 1e30) stops at the first non-finite
# loss with exit code 1, naming the epoch and batch, and keeps the last good
# checkpoint: resumed from a good epoch 1, the diverging epoch 2 writes
# neither a checkpoint nor a CSV row. About 2 s.
set -u
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
common="--model small_cnn --dataset synthetic --image-size 12 --batch-size 64 --device cpu --threads 1 -v 0 --no-test --optimizer sgd"
"$cli" train $common --epochs 1 --max-steps 2 --checkpoint-dir "$dir/ckpt" || { echo "good run failed"; exit 1; }
cp "$dir/ckpt/epoch-001.safetensors" "$dir/good.safetensors"
out=$("$cli" train $common --epochs 2 --lr 1e30 --resume "$dir/ckpt/epoch-001.safetensors" \
  --checkpoint-dir "$dir/ckpt" --csv "$dir/log.csv" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 1 ] || { echo "expected exit code 1 for a diverged run, got $rc"; exit 1; }
printf '%s\n' "$out" | grep -q "the loss is .* at epoch 2/2, batch " || { echo "no epoch/batch in the message"; exit 1; }
[ ! -e "$dir/ckpt/epoch-002.safetensors" ] || { echo "a checkpoint of the diverged epoch was written"; exit 1; }
cmp -s "$dir/ckpt/epoch-001.safetensors" "$dir/good.safetensors" || { echo "the good checkpoint changed"; exit 1; }
if [ -s "$dir/log.csv" ] && grep -q "^1," "$dir/log.csv"; then echo "CSV row of the diverged epoch"; exit 1; fi
echo "nan stop ok"
