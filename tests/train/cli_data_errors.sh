#!/bin/sh
# Usage: cli_data_errors.sh CUTRAIN WORKDIR
# Errors about data come early and say the right thing, on a tiny
# Fashion-MNIST folder written here (4 train and 4 test images):
#  - eval --split test reads only the test files (damaged train files do not matter);
#  - predict and train on an empty test split fail with a clear message
#    (train before it starts, not after training);
#  - a folder or an unreadable file where a data file should be is not "no such file".
# About 1 s.
set -u
cli=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir/fm"
images() {  # images FILE N: an IDX u8 [N, 28, 28] file of zeros
  { printf '\000\000\010\003\000\000\000'; printf "\\$(printf '%03o' "$2")"; printf '\000\000\000\034\000\000\000\034'
    head -c $(($2 * 784)) /dev/zero; } >"$1"
}
labels() {  # labels FILE N: an IDX u8 [N] file of labels 0..N-1
  { printf '\000\000\010\001\000\000\000'; printf "\\$(printf '%03o' "$2")"
    i=0; while [ "$i" -lt "$2" ]; do printf "\\$(printf '%03o' "$i")"; i=$((i + 1)); done; } >"$1"
}
images "$dir/fm/train-images-idx3-ubyte" 4
labels "$dir/fm/train-labels-idx1-ubyte" 4
images "$dir/fm/t10k-images-idx3-ubyte" 4
labels "$dir/fm/t10k-labels-idx1-ubyte" 4
common="--model small_cnn --dataset fashion-mnist --data-dir $dir/fm --image-size 12 --batch-size 2 --device cpu --threads 1 -v 0"
"$cli" train $common --epochs 1 --max-steps 1 --checkpoint-dir "$dir/ckpt" || { echo "training on the tiny set failed"; exit 1; }
ck="$dir/ckpt/epoch-001.safetensors"
fail=0
check() {  # check WHAT CODE PATTERN ANTIPATTERN CMD...
  what=$1 code=$2 pattern=$3 anti=$4
  shift 4
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$code" ]; then echo "$what: expected exit code $code, got $rc: $out"; fail=1; return; fi
  case "$out" in *"$pattern"*) ;; *) echo "$what: output does not mention '$pattern': $out"; fail=1 ;; esac
  if [ -n "$anti" ]; then case "$out" in *"$anti"*) echo "$what: output mentions '$anti': $out"; fail=1 ;; esac; fi
}
head -c 10 "$dir/fm/t10k-images-idx3-ubyte" >"$dir/fm/train-images-idx3-ubyte"  # damaged train images
check "eval --split test with damaged train files" 0 "fashion-mnist test:" "" \
  "$cli" eval --checkpoint "$ck" --dataset fashion-mnist --data-dir "$dir/fm" -v 0
images "$dir/fm/train-images-idx3-ubyte" 4
images "$dir/fm/t10k-images-idx3-ubyte" 0
labels "$dir/fm/t10k-labels-idx1-ubyte" 0
check "predict on an empty split" 2 "the test split of data set 'fashion-mnist' is empty" "out of range" \
  "$cli" predict --checkpoint "$ck" --dataset fashion-mnist --data-dir "$dir/fm"
check "train with an empty test split" 2 "has an empty test split" "training " "$cli" train $common --epochs 1
rm "$dir/fm/train-images-idx3-ubyte"
mkdir "$dir/fm/train-images-idx3-ubyte"
check "a folder in place of a data file" 2 "train-images-idx3-ubyte: not a regular file" "no such file" \
  "$cli" train $common --epochs 1 --no-test
if [ "$(id -u)" -ne 0 ]; then  # root reads every file: this case needs another user
  rmdir "$dir/fm/train-images-idx3-ubyte"
  images "$dir/fm/train-images-idx3-ubyte" 4
  chmod 000 "$dir/fm/train-images-idx3-ubyte"
  check "an unreadable data file" 2 "Permission denied" "no such file" "$cli" train $common --epochs 1 --no-test
  chmod 644 "$dir/fm/train-images-idx3-ubyte"
fi
[ "$fail" -eq 0 ] && echo "data errors ok"
exit "$fail"
