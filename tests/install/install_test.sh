#!/usr/bin/env bash
# Installs cutrain from a build tree into a temporary prefix and builds and
# runs a separate project that finds it with find_package(cutrain).
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# Release, as users build what they benchmark.
cmake -S "$src/consumer" -B "$tmp/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer"
for example in "$tmp"/consumer/example_*; do
  case $example in
    *_bench)
      # Short runs: this checks the kit works from the package, it measures
      # nothing. The second run's ceiling is an arbitrary 1 TB/s, only to see
      # the flag reach the roofline counter. A bare number of seconds: Google
      # Benchmark 1.7 (Debian 12's) rejects the "0.01s" form 1.8 added.
      "$example" --benchmark_min_time=0.01
      "$example" --benchmark_min_time=0.01 --benchmark_filter='/4096/' --peak_bytes_per_second=1e12
      ;;
    *) "$example" ;;
  esac
done
