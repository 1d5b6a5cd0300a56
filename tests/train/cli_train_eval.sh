#!/bin/sh
# Usage: cli_train_eval.sh CUTRAIN WORKDIR
# Trains a few steps on synthetic data with checkpoints, CSV and TensorBoard
# logs, resumes from the checkpoint, then evaluates and predicts with it.
set -eu
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
common="--model small_cnn --dataset synthetic --image-size 12 --batch-size 64 --device cpu --threads 1 -v 0"
"$cli" train $common --epochs 1 --max-steps 3 --checkpoint-dir "$dir/ckpt" --csv "$dir/log.csv" \
  --logdir "$dir/tb" --validation-split 0.25
test -f "$dir/ckpt/epoch-001.safetensors" || { echo "no checkpoint written"; exit 1; }
grep -q '^epoch,' "$dir/log.csv" || { echo "no CSV header"; exit 1; }
ls "$dir/tb/train" | grep -q tfevents || { echo "no TensorBoard event file"; exit 1; }
out=$("$cli" train $common --epochs 2 --max-steps 5 --resume "$dir/ckpt/epoch-001.safetensors" --no-test)
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -q "trained 5 steps" || { echo "resume did not continue at step 3"; exit 1; }
"$cli" eval --checkpoint "$dir/ckpt/epoch-001.safetensors" --dataset synthetic --split train -v 0 | grep -q "accuracy" \
  || { echo "eval printed no accuracy"; exit 1; }
lines=$("$cli" predict --checkpoint "$dir/ckpt/epoch-001.safetensors" --dataset synthetic --split train --limit 5 | wc -l)
[ "$lines" -eq 6 ] || { echo "predict wrote $lines lines, expected a header and 5 rows"; exit 1; }
echo "cli train/resume/eval/predict ok"
