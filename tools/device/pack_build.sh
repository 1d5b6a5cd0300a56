#!/usr/bin/env bash
# Packs a CUDA build's test and benchmark binaries, with the Debian shared
# libraries they need, into .devbuild/ for a GPU machine that lacks them.
set -euo pipefail
build=${1:?build dir}
pack=${2:-.devbuild}
# The binaries run on another machine's CPU: a build for this one's ISA may
# stop there with an illegal instruction.
if grep -q '^CUTRAIN_CPU_ARCH:STRING=native$' "$build/CMakeCache.txt"; then
  echo "pack_build.sh: $build targets this CPU (-march=native); configure it with -DCUTRAIN_CPU_ARCH=x86-64-v3" >&2
  exit 2
fi
rm -rf "$pack" && mkdir -p "$pack/bin" "$pack/lib"
cp "$build/cutrain" "$build/tests/gpu_tests" "$build/tests/kernels/kernel_tests" "$pack/bin/"
for b in ${CUTRAIN_DEVICE_BENCHES:-conv_cuda_bench allocator_bench}; do cp "$build/bench/$b" "$pack/bin/"; done
# Every non-system, non-CUDA library the binaries load.
ldd "$pack"/bin/* | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case "$lib" in
    */libc.so*|*/libm.so*|*/libpthread*|*/libdl*|*/librt*|*/ld-linux*|*/libgcc_s*|*/libstdc++*) ;;
    */cuda*|*/libcud*|*/libcublas*|*/libnv*) ;;
    *) cp -L "$lib" "$pack/lib/" ;;
  esac
done
strip "$pack"/bin/* 2>/dev/null || true
du -sh "$pack"
