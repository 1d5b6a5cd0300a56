#!/bin/sh
# Usage: cli_step_flags.sh CUTRAIN WORKDIR
# --loss-scale, --clip-value and --accumulate-steps end to end: the CSV has
# the loss_scale column, checkpoints hold the scale and the accumulation
# state, a run resumed after epoch 1 ends bit for bit where the
# uninterrupted run does, and a checkpoint with a loss scale does not load
# into a run without one (exit 2, naming the tensor). About 3 s.
set -u
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
# 2048 synthetic images, 64 per batch: 32 batches, 10 updates and a partial sum per epoch.
common="--model small_cnn --dataset synthetic --image-size 12 --batch-size 64 --device cpu --threads 1 -v 0 --no-test
  --optimizer adam --lr-schedule cosine --loss-scale dynamic --clip-value 0.5 --accumulate-steps 3"
"$cli" train $common --epochs 2 --checkpoint-dir "$dir/full" --csv "$dir/full.csv" || { echo "full run failed"; exit 1; }
head -1 "$dir/full.csv" | grep -q ",loss_scale," || { echo "no loss_scale column in the CSV"; cat "$dir/full.csv"; exit 1; }
for t in optimizer.loss_scale.scale optimizer.loss_scale.growth_tracker optimizer.accumulate.micro_step grad_accum; do
  grep -aq "$t" "$dir/full/epoch-001.safetensors" || { echo "the checkpoint has no $t"; exit 1; }
done
"$cli" train $common --epochs 1 --schedule-epochs 2 --checkpoint-dir "$dir/part" || { echo "first part failed"; exit 1; }
"$cli" train $common --epochs 2 --resume "$dir/part/epoch-001.safetensors" --checkpoint-dir "$dir/part" \
  || { echo "resumed run failed"; exit 1; }
cmp "$dir/full/epoch-002.safetensors" "$dir/part/epoch-002.safetensors" || { echo "resume is not bitwise"; exit 1; }
out=$("$cli" train --model small_cnn --dataset synthetic --image-size 12 --batch-size 64 --device cpu -v 0 --no-test \
  --optimizer adam --accumulate-steps 3 --epochs 2 --resume "$dir/full/epoch-001.safetensors" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 2 ] || { echo "expected exit code 2 resuming a loss-scaled checkpoint without loss scaling, got $rc"; exit 1; }
printf '%s\n' "$out" | grep -q "optimizer.loss_scale.scale" || { echo "the message does not name the tensor"; exit 1; }
echo "step flags ok"
