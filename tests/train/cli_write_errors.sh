#!/bin/sh
# Usage: cli_write_errors.sh CUTRAIN WORKDIR
# Every written file and standard output is checked: on a full disk
# (/dev/full) the CSV log, `predict --output`, predict's and eval's standard
# output fail with exit code 1 and a message naming the file and the errno
# text, instead of leaving a 0-byte file and exiting 0. About 1 s.
set -u
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
[ -w /dev/full ] || { echo "no writable /dev/full here"; exit 1; }
common="--model small_cnn --dataset synthetic --image-size 12 --batch-size 64 --device cpu --threads 1 -v 0"
fail=0
expect() {  # expect CODE PATTERN OUTPUT-FILE
  if [ "$rc" -ne "$1" ]; then echo "$what: expected exit code $1, got $rc"; cat "$3"; fail=1; return; fi
  grep -qF -e "$2" "$3" || { echo "$what: output does not mention '$2'"; cat "$3"; fail=1; }
}
what="train --csv /dev/full"
"$cli" train $common --epochs 1 --max-steps 2 --no-test --csv /dev/full --checkpoint-dir "$dir/ckpt" >"$dir/out1" 2>&1
rc=$?
expect 1 "cannot write /dev/full: No space left on device" "$dir/out1"
# A checkpoint that cannot be written mid-training (the file-size limit: with
# SIGXFSZ ignored, write() fails with EFBIG) is a runtime failure: exit 1, the
# file named, no temporary file left behind.
what="train, checkpoint over the file-size limit"
(trap '' XFSZ; ulimit -f 16; "$cli" train $common --epochs 2 --max-steps 4 --no-test --checkpoint-dir "$dir/ckfull" >"$dir/out0" 2>&1)
rc=$?
expect 1 "cannot write $dir/ckfull/epoch-001.safetensors" "$dir/out0"
if ls "$dir/ckfull" | grep -q tmp; then echo "$what: a temporary file was left: $(ls "$dir/ckfull")"; fail=1; fi
"$cli" train $common --epochs 1 --max-steps 2 --no-test --checkpoint-dir "$dir/ckpt" >/dev/null 2>&1 || { echo "training failed"; exit 1; }
ck="$dir/ckpt/epoch-001.safetensors"
what="predict --output /dev/full"
"$cli" predict --checkpoint "$ck" --dataset synthetic --split train --limit 5 --output /dev/full -v 0 >"$dir/out2" 2>&1
rc=$?
expect 1 "cannot write '/dev/full': No space left on device" "$dir/out2"
what="predict > /dev/full"
"$cli" predict --checkpoint "$ck" --dataset synthetic --split train --limit 5 2>"$dir/out3" >/dev/full
rc=$?
expect 1 "cannot write standard output: No space left on device" "$dir/out3"
what="eval > /dev/full"
"$cli" eval --checkpoint "$ck" --dataset synthetic --split train -v 0 2>"$dir/out4" >/dev/full
rc=$?
expect 1 "cannot write standard output" "$dir/out4"
what="predict --output into a missing folder"
"$cli" predict --checkpoint "$ck" --dataset synthetic --split train --output /nonexistent/p.csv >"$dir/out5" 2>&1
rc=$?
expect 2 "--output: cannot write '/nonexistent/p.csv'" "$dir/out5"
[ "$fail" -eq 0 ] && echo "write errors ok"
exit "$fail"
