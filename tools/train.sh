#!/usr/bin/env bash
# The README's main job. Installs what is missing, builds cutrain, then trains
# Inception V3 (TF-slim topology, reduced width, 75x75 input, no aux head) on
# Fashion-MNIST from the Debian package, on the GPU if one is present, else
# on the CPU, and reports the test accuracy.
#
# Knobs (environment): CUTRAIN_BUILD_DIR, MODEL (inception_v3 | small_cnn),
# EPOCHS, BATCH, LR, DEPTH_MULTIPLIER, IMAGE_SIZE, OUT (run folder).
set -euo pipefail
cd "$(dirname "$0")/.."
CUTRAIN_SETUP_TORCH=0 bash tools/setup.sh
build=${CUTRAIN_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target cutrain_cli
"$build/cutrain" --version
"$build/cutrain" devices

out=${OUT:-runs/fashion-mnist}
mkdir -p "$out"
threads=$(nproc)
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
time "$build/cutrain" train \
  --model "${MODEL:-inception_v3}" \
  --dataset fashion-mnist \
  --image-size "${IMAGE_SIZE:-75}" \
  --depth-multiplier "${DEPTH_MULTIPLIER:-0.25}" \
  --batch-size "${BATCH:-64}" \
  --epochs "${EPOCHS:-2}" \
  --optimizer adam --lr "${LR:-0.002}" --lr-schedule cosine \
  --weight-decay 4e-5 \
  --device auto --threads "$threads" --seed 0 -v 2 \
  --checkpoint-dir "$out/checkpoints" --csv "$out/history.csv" --logdir "$out/logs"
