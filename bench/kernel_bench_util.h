// Shared by the kernel benchmarks: the H100 ceilings they report fractions
// of, and (CUDA builds) event timing and scratch device memory.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cutrain/core/device.h"
#if CUTRAIN_WITH_CUDA
#include <cuda_runtime.h>

#include "cutrain/cuda/check.h"
#endif

namespace cutrain::bench {

// Measured on our H100 (bench/results): device-to-device copy and fp32 SGEMM.
constexpr double kCopyBytesPerSecond = 3.0e12;
constexpr double kSgemmFlopsPerSecond = 52e12;

inline void report_bytes(benchmark::State& state, double bytes, double seconds) {
  state.counters["GB/s"] = bytes / seconds / 1e9;
  state.counters["frac_of_copy_roofline"] = bytes / seconds / kCopyBytesPerSecond;
}

#if CUTRAIN_WITH_CUDA
// Median milliseconds of `reps` event-timed runs of f (after one warm-up run).
template <typename F>
double time_ms(cudaStream_t s, F&& f, int reps = 20) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  f();
  std::vector<float> ms;
  for (int r = 0; r < reps; ++r) {
    CUDA_CHECK(cudaEventRecord(start, s));
    f();
    CUDA_CHECK(cudaEventRecord(stop, s));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float t = 0;
    CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return static_cast<double>(ms[ms.size() / 2]);
}

// A device array filled with a non-trivial pattern.
template <typename T>
struct DeviceArray {
  T* p = nullptr;
  int64_t n = 0;
  explicit DeviceArray(int64_t count, float value = 0.5f) : n(count) {
    CUDA_CHECK(cudaMalloc(&p, static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(T)));
    std::vector<T> h(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) h[static_cast<size_t>(i)] = static_cast<T>(value * static_cast<float>((i * 7919) % 17 - 8));
    CUDA_CHECK(cudaMemcpy(p, h.data(), static_cast<size_t>(n) * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceArray() { cudaFree(p); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
};
#endif

}  // namespace cutrain::bench
