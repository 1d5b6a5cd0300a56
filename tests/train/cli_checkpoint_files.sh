#!/bin/sh
# Usage: cli_checkpoint_files.sh CUTRAIN WORKDIR
# The checkpoint files' lifecycle through the CLI: "1 epoch, then --resume for
# 1 more" with a cosine schedule is bitwise "2 epochs"; a resumed run with
# nothing left to do says so; stale temporary files of a killed writer are
# removed; a damaged checkpoint is refused unless --no-verify. About 5 s.
set -eu
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
fail() { echo "FAIL: $*"; exit 1; }
common="--model small_cnn --dataset synthetic --image-size 8 --batch-size 256 --device cpu --threads 1 -v 0 --no-test
        --optimizer adam --lr 0.01 --lr-schedule cosine --seed 3"

# Two epochs in one run, and the same run split in two.
"$cli" train $common --epochs 2 --checkpoint-dir "$dir/whole" >/dev/null
"$cli" train $common --epochs 1 --schedule-epochs 2 --checkpoint-dir "$dir/first" >/dev/null
"$cli" train $common --epochs 2 --resume "$dir/first/epoch-001.safetensors" --checkpoint-dir "$dir/second" >/dev/null
cmp "$dir/whole/epoch-002.safetensors" "$dir/second/epoch-002.safetensors" \
  || fail "1 epoch + resume for 1 more differs from 2 epochs"
# The resumed run keeps the recorded schedule even when its own flags say otherwise.
out=$("$cli" train $common --epochs 2 --max-steps 12 --resume "$dir/first/epoch-001.safetensors" \
        --checkpoint-dir "$dir/capped")
printf '%s\n' "$out" | grep -q "resuming the learning-rate schedule of 16 steps" \
  || fail "no note about the recorded schedule: $out"
cmp -s "$dir/whole/epoch-002.safetensors" "$dir/capped/epoch-002.safetensors" \
  && fail "--max-steps 12 should have stopped the second epoch early"

# Resuming a finished run.
out=$("$cli" train $common --epochs 2 --resume "$dir/whole/epoch-002.safetensors")
printf '%s\n' "$out" | grep -q "nothing to do: .*has finished 2 epochs and --epochs is 2" \
  || fail "resume with nothing left to do was silent: $out"
printf '%s\n' "$out" | grep -q "trained" && fail "resume with nothing to do trained: $out"

# Stale temporary files: a dead writer's is removed, a live process's is kept.
: >"$dir/whole/epoch-007.safetensors.tmp.999999999"
: >"$dir/whole/epoch-008.safetensors.tmp.1"
out=$("$cli" train $common --epochs 1 --max-steps 1 --checkpoint-dir "$dir/whole")
printf '%s\n' "$out" | grep -q "removed .*epoch-007.safetensors.tmp.999999999" \
  || fail "stale temporary file not reported: $out"
test ! -e "$dir/whole/epoch-007.safetensors.tmp.999999999" || fail "stale temporary file left"
test -e "$dir/whole/epoch-008.safetensors.tmp.1" || fail "a live process's temporary file was removed"

# A flipped byte near the end (inside the last tensor).
cp "$dir/first/epoch-001.safetensors" "$dir/damaged.safetensors"
size=$(wc -c <"$dir/damaged.safetensors")
off=$((size - 3))
b=$(od -An -tu1 -j "$off" -N1 "$dir/damaged.safetensors" | tr -d ' ')
printf "\\$(printf '%03o' $(((b + 1) % 256)))" | dd of="$dir/damaged.safetensors" bs=1 seek="$off" conv=notrunc 2>/dev/null
rc=0
err=$("$cli" eval --checkpoint "$dir/damaged.safetensors" --dataset synthetic --split train -v 0 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "damaged checkpoint: exit $rc, expected 2: $err"
printf '%s\n' "$err" | grep -q "does not match its checksum" || fail "no checksum error: $err"
"$cli" eval --checkpoint "$dir/damaged.safetensors" --dataset synthetic --split train -v 0 --no-verify \
  | grep -q accuracy || fail "--no-verify did not load the damaged checkpoint"
rc=0
err=$("$cli" train $common --epochs 2 --resume "$dir/damaged.safetensors" 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "resume from a damaged checkpoint: exit $rc, expected 2: $err"
printf '%s\n' "$err" | grep -q "does not match its checksum" || fail "no checksum error on resume: $err"
"$cli" train $common --epochs 2 --resume "$dir/damaged.safetensors" --no-verify | grep -q "trained 16 steps" \
  || fail "--no-verify did not resume from the damaged checkpoint"
echo "cli checkpoint files ok"
