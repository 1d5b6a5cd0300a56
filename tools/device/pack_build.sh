#!/usr/bin/env bash
# Packs a CUDA build's CLI, test and benchmark binaries, with the Debian shared
# libraries they need, into .devpack/cutrain-devbuild.tar.xz for a GPU machine
# that lacks them, and copies Fashion-MNIST into .devdata/ for its training
# step. Both folders are git-ignored; name them in the device call's `carry`.
# xz because the limit is on what travels: OpenBLAS alone is 36 MB, 4 MB packed.
#
#   cmake -S . -B build-dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTRAIN_CUDA=ON \
#         -DCUTRAIN_CPU_ARCH=x86-64-v3 && cmake --build build-dev
#   bash tools/device/pack_build.sh build-dev
set -euo pipefail
build=${1:?build dir}
archive=${2:-.devpack/cutrain-devbuild.tar.xz}
# The binaries run on another machine's CPU: a build for this one's ISA may
# stop there with an illegal instruction.
if grep -q '^CUTRAIN_CPU_ARCH:STRING=native$' "$build/CMakeCache.txt"; then
  echo "pack_build.sh: $build targets this CPU (-march=native); configure it with -DCUTRAIN_CPU_ARCH=x86-64-v3" >&2
  exit 2
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pack="$stage/devbuild"
mkdir -p "$pack/bin" "$pack/lib"
git rev-parse HEAD >"$pack/COMMIT" 2>/dev/null || echo unknown >"$pack/COMMIT"
git diff --quiet 2>/dev/null || echo "(with uncommitted changes)" >>"$pack/COMMIT"
cp "$build/cutrain" "$build/tests/gpu_tests" "$build/tests/kernels/kernel_tests" "$pack/bin/"
for b in ${CUTRAIN_DEVICE_BENCHES:-inception_step_bench conv_cuda_bench allocator_bench}; do
  cp "$build/bench/$b" "$pack/bin/"
done
# Every non-system, non-CUDA library the binaries load.
ldd "$pack"/bin/* | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case "$lib" in
    */libc.so*|*/libm.so*|*/libpthread*|*/libdl*|*/librt*|*/ld-linux*|*/libgcc_s*|*/libstdc++*) ;;
    */cuda*|*/libcud*|*/libcublas*|*/libnv*) ;;
    *) cp -L "$lib" "$pack/lib/" ;;
  esac
done
strip "$pack"/bin/* 2>/dev/null || true
mkdir -p "$(dirname "$archive")"
tar -cf - -C "$stage" devbuild | xz -T0 -6 >"$archive"
du -sh "$archive"
data=/usr/share/datasets/fashion-mnist
if [[ -d $data ]]; then
  mkdir -p .devdata/fashion-mnist
  cp -u "$data"/*.gz .devdata/fashion-mnist/
  du -sh .devdata
fi
