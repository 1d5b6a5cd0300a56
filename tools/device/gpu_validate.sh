#!/usr/bin/env bash
# The whole GPU validation in one command, for a lent GPU machine whose time
# is short (15 minutes a task, start-up included, at most 10 minutes a
# command). It runs a build packed on the CPU machine (tools/device/
# pack_build.sh) and writes every log under $OUT as it goes, so that a step
# cut short by its timeout still returns what it printed.
#
# Steps, most valuable first; each gets its own timeout, clipped to what is
# left of the overall budget (BUDGET seconds, default 520, so one run leaves
# room for a short second one), and is skipped when less than 15 s remain:
#   1. device report (nvidia-smi, cutrain --version, cutrain devices)
#   2. every GPU test, then every kernel test on CUDA
#   3. compute-sanitizer memcheck and racecheck on the CUDA kernel tests
#      (synccheck and initcheck when time is left); on runtimes where the
#      sanitizer refuses the device it says so in the log and the step fails
#   4. the Inception V3 training step at 299x299, batch $BATCH (default 128):
#      cutrain fp32 and TF32 in its executor modes, and PyTorch's torchvision
#      step in the same command (eager NCHW, channels-last, channels-last TF32,
#      AMP bf16 channels-last), each with its peak device memory
#   5. cutrain train on Fashion-MNIST on the GPU: the main job's model for two
#      epochs (data carried in $DATA, default .devdata/fashion-mnist)
#   6. the kernel benchmarks, if time is left
# The last lines printed are a summary table (step, rc, seconds, tail).
#
# Usage (on the GPU machine, from the repository root):
#   OUT=... bash tools/device/gpu_validate.sh [.devpack/cutrain-devbuild.tar.xz]
# Rehearsal on the CPU machine: the same command; without nvidia-smi every GPU
# step is skipped with a message, the rest runs, so a typo fails here first.
set -uo pipefail
archive=${1:-.devpack/cutrain-devbuild.tar.xz}
out=${OUT:-gpu-validate-out}
budget=${BUDGET:-520}
batch=${BATCH:-128}
data=${DATA:-.devdata/fashion-mnist}
mkdir -p "$out"
start=$SECONDS
summary="$out/summary.txt"
status=0
: >"$summary"

pack=$(mktemp -d /tmp/cutrain-pack.XXXXXX)
if [[ -f $archive ]]; then
  tar -xJf "$archive" -C "$pack"
else
  echo "gpu_validate.sh: no packed build at $archive (make one with tools/device/pack_build.sh)" >&2
  exit 2
fi
pack="$pack/devbuild"
source "$(dirname "$0")/device_env.sh" "$pack"
bin="$pack/bin"
has_gpu=0
nvidia-smi -L >/dev/null 2>&1 && has_gpu=1

# step NAME TIMEOUT needs_gpu COMMAND...: runs COMMAND with its output in
# $out/NAME.log, under min(TIMEOUT, what is left of the budget).
step() {
  local name=$1 limit=$2 needs_gpu=$3
  shift 3
  local left=$((budget - (SECONDS - start)))
  if ((needs_gpu && !has_gpu)); then
    printf '%-34s %4s %5s  %s\n' "$name" skip 0 "no GPU on this machine" | tee -a "$summary"
    return 0
  fi
  if ((left < 15)); then
    printf '%-34s %4s %5s  %s\n' "$name" skip 0 "budget spent" | tee -a "$summary"
    return 0
  fi
  ((limit > left)) && limit=$left
  echo "== $name (limit ${limit} s)"
  local t0=$SECONDS
  # bash -c so that a step may be one of the functions below (exported).
  timeout --kill-after=5 "$limit" bash -c '"$@"' "$name" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  local last
  last=$(grep -v '^\s*$' "$out/$name.log" | tail -n 1 | cut -c1-120)
  printf '%-34s %4s %5s  %s\n' "$name" "$rc" "$((SECONDS - t0))" "$last" | tee -a "$summary"
  ((rc == 0)) || status=1
}

report() {
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  echo "packed from: $(cat "$pack/COMMIT")"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
  "$bin/cutrain" --version
  "$bin/cutrain" devices
}

# The e2e step: cutrain's executor modes (planned one stream, four streams,
# four streams fused; replay on) at a precision (fp32|tf32|bf16|fp16), then PyTorch.
e2e_cutrain() {  # precision
  CUTRAIN_E2E_DEVICE=cuda CUTRAIN_E2E_BATCH=$batch CUTRAIN_E2E_SIZE=299 CUTRAIN_E2E_PRECISION=$1 \
    "$bin/inception_step_bench" --benchmark_filter='mode:[123]/' --benchmark_min_time=1
}

train_fashion() {
  "$bin/cutrain" train --model inception_v3 --dataset fashion-mnist --data-dir "$data" \
    --image-size 75 --depth-multiplier 0.25 --batch-size 32 --epochs 2 \
    --optimizer adam --lr 0.004 --lr-schedule cosine --bn-decay 0.99 --weight-decay 4e-5 \
    --device cuda --seed 0 -v 2 --csv "$out/train_history.csv"
}
export -f report e2e_cutrain train_fashion
export bin batch data out

step device_report 30 0 report
cp "$out/device_report.log" "$out/device.txt"

step gpu_tests 100 1 "$bin/gpu_tests"
step kernel_tests_cuda 80 1 "$bin/kernel_tests" --gtest_filter='*cuda*'
if command -v compute-sanitizer >/dev/null; then
  for tool in memcheck racecheck; do
    step "sanitizer_${tool}_kernels" 70 1 compute-sanitizer --tool "$tool" --error-exitcode 9 \
      "$bin/kernel_tests" --gtest_filter='*cuda*'
  done
else
  printf '%-34s %4s %5s  %s\n' sanitizer skip 0 "compute-sanitizer not on PATH" | tee -a "$summary"
fi

# bf16 first: the goal is bf16 against PyTorch AMP bf16 channels-last, side by side.
step e2e_cutrain_bf16 110 1 e2e_cutrain bf16
step e2e_torch_amp_bf16_channels_last 60 1 python3 bench/e2e/torch_inception_step.py --device cuda \
  --batch "$batch" --size 299 --channels-last --amp bf16
step e2e_cutrain_fp32 110 1 e2e_cutrain fp32
step e2e_torch_channels_last_fp32 60 1 python3 bench/e2e/torch_inception_step.py --device cuda \
  --batch "$batch" --size 299 --channels-last
step e2e_cutrain_tf32 90 1 e2e_cutrain tf32
step e2e_cutrain_fp16 90 1 e2e_cutrain fp16
step e2e_torch_channels_last_tf32 60 1 python3 bench/e2e/torch_inception_step.py --device cuda \
  --batch "$batch" --size 299 --channels-last --tf32
step e2e_torch_nchw_fp32 60 1 python3 bench/e2e/torch_inception_step.py --device cuda \
  --batch "$batch" --size 299

if [[ -d $data ]]; then
  step train_fashion_mnist_gpu 120 1 train_fashion
else
  printf '%-34s %4s %5s  %s\n' train_fashion_mnist_gpu skip 0 "no data at $data" | tee -a "$summary"
fi

if command -v compute-sanitizer >/dev/null; then
  for tool in synccheck initcheck; do
    step "sanitizer_${tool}_kernels" 60 1 compute-sanitizer --tool "$tool" --error-exitcode 9 \
      "$bin/kernel_tests" --gtest_filter='*cuda*'
  done
fi
for b in "$bin"/*_bench; do
  [[ -x $b && $(basename "$b") != inception_step_bench ]] || continue
  step "bench_$(basename "$b")" 40 1 "$b" --benchmark_min_time=0.2
done

echo
echo "== summary (step, rc, seconds, last line of its log) after $((SECONDS - start)) s"
cat "$summary"
grep -h -E 'img/s' "$out"/e2e_*.log 2>/dev/null | sed 's/^/e2e: /' | cut -c1-200
rm -rf "$(dirname "$pack")"
exit $status
