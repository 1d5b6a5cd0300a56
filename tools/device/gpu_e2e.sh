#!/usr/bin/env bash
# The end-to-end comparison on a GPU machine: cutrain's Inception V3 training
# step (bench/e2e/inception_step_bench, three executor modes) and PyTorch's
# torchvision step (bench/e2e/torch_inception_step.py) in the same command,
# fp32 and TF32, 299x299 at the given batch. Logs go to $OUT.
set -uo pipefail
pack=${1:-.devbuild}
batch=${2:-128}
out=${OUT:-gpu-e2e-out}
mkdir -p "$out"
source "$(dirname "$0")/device_env.sh" "$pack"
for tf32 in 0 1; do
  CUTRAIN_E2E_DEVICE=cuda CUTRAIN_E2E_BATCH=$batch CUTRAIN_E2E_SIZE=299 CUTRAIN_E2E_TF32=$tf32 \
    timeout 300 "$pack/bin/inception_step_bench" --benchmark_min_time=2 2>&1 | tee -a "$out/e2e.log" | grep -E "^BM_|rror"
  flag=""; [[ $tf32 == 1 ]] && flag="--tf32"
  timeout 200 python3 bench/e2e/torch_inception_step.py --device cuda --batch "$batch" --size 299 $flag --channels-last 2>&1 | tee -a "$out/e2e.log" | tail -1
  timeout 200 python3 bench/e2e/torch_inception_step.py --device cuda --batch "$batch" --size 299 $flag 2>&1 | tee -a "$out/e2e.log" | tail -1
done
