// Shared by the kernel benchmarks. Two styles:
//  - CUTRAIN_KERNEL_BENCH bodies run on the emulated backend (a smoke test
//    with tiny sizes, on every machine) and, in a CUDA build with a device,
//    on the GPU with CUDA-event timing (time_launches). Counters:
//    bytes_per_second (bytes each launch must move at least, per second) and
//    roofline = that rate / the copy ceiling.
//  - CUDA-only benchmarks time a launch sequence with time_ms (median of
//    event-timed runs) on DeviceArray memory and report GB/s and the fraction
//    of the copy ceiling with report_bytes.
// The ceilings are measured on our H100 (bench/results).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "emu/runtime.h"

#if CUTRAIN_WITH_CUDA
#include <cuda_runtime.h>

#include "cutrain/cuda/check.h"
#endif

namespace cutrain::bench {

// Device-to-device copy and fp32 SGEMM on our H100.
constexpr double kCopyCeilingBytesPerSecond = 3.0e12;
constexpr double kSgemmFlopsPerSecond = 52e12;

inline void report_bytes(benchmark::State& state, double bytes, double seconds) {
  state.counters["GB/s"] = bytes / seconds / 1e9;
  state.counters["frac_of_copy_roofline"] = bytes / seconds / kCopyCeilingBytesPerSecond;
}

#if CUTRAIN_WITH_CUDA
// Milliseconds between events recorded around f() on stream s.
template <typename F>
double event_ms(cudaStream_t s, F&& f) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventRecord(start, s));
  f();
  CUDA_CHECK(cudaEventRecord(stop, s));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return static_cast<double>(ms);
}

// Median milliseconds of `reps` event-timed runs of f (after one warm-up run).
template <typename F>
double time_ms(cudaStream_t s, F&& f, int reps = 20) {
  f();
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) ms.push_back(event_ms(s, f));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
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

// Device memory and a stream for one backend.
struct BenchDevice {
  bool cuda = false;
  cudaStream_t stream = nullptr;  // emulated: null, launches run synchronously

  void* alloc(std::size_t bytes) {
#if CUTRAIN_WITH_CUDA
    if (cuda) {
      void* p = nullptr;
      if (cudaMalloc(&p, bytes) != cudaSuccess) return nullptr;
      cudaMemset(p, 0, bytes);
      return p;
    }
#endif
    void* p = emu::device_malloc(bytes);
    std::memset(p, 0, bytes);
    return p;
  }
  void free(void* p) {
#if CUTRAIN_WITH_CUDA
    if (cuda) {
      cudaFree(p);
      return;
    }
#endif
    emu::device_free(p);
  }
  // Copies host values in (for inputs that must be in range, e.g. log's).
  template <typename T>
  T* upload(const std::vector<T>& v) {
    T* p = static_cast<T*>(alloc(v.size() * sizeof(T)));
#if CUTRAIN_WITH_CUDA
    if (cuda) {
      cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice);
      return p;
    }
#endif
    std::memcpy(p, v.data(), v.size() * sizeof(T));
    return p;
  }
};

inline bool cuda_device_present() {
#if CUTRAIN_WITH_CUDA
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
#else
  return false;
#endif
}

// Times `launch` (which enqueues the kernels of one iteration on dev.stream)
// and reports the counters for `bytes` moved per iteration.
inline void time_launches(benchmark::State& state, BenchDevice& dev, double bytes, const std::function<void()>& launch) {
#if CUTRAIN_WITH_CUDA
  if (dev.cuda) {
    launch();  // warm-up
    for (auto _ : state) state.SetIterationTime(event_ms(dev.stream, launch) / 1e3);
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) state.SkipWithError(cudaGetErrorString(e));
  }
#endif
  if (!dev.cuda)
    for (auto _ : state) launch();
  state.counters["bytes_per_second"] =
      benchmark::Counter(bytes * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["roofline"] = benchmark::Counter(
      bytes * static_cast<double>(state.iterations()) / kCopyCeilingBytesPerSecond, benchmark::Counter::kIsRate);
}

// Registers body(state, dev, emulated) as Name/emulated with `emu_args` and,
// when a GPU is present, Name/cuda with `cuda_args` (manual timing).
using BenchBody = std::function<void(benchmark::State&, BenchDevice&)>;
inline void register_kernel_bench(const std::string& name, BenchBody body, const std::vector<int64_t>& emu_args,
                                  const std::vector<int64_t>& cuda_args) {
  auto* e = benchmark::RegisterBenchmark((name + "/emulated").c_str(), [body](benchmark::State& s) {
    BenchDevice dev;
    body(s, dev);
  });
  for (int64_t a : emu_args) e->Arg(a);
  if (!cuda_device_present()) return;
  auto* c = benchmark::RegisterBenchmark((name + "/cuda").c_str(), [body](benchmark::State& s) {
    BenchDevice dev;
    dev.cuda = true;
    body(s, dev);
  });
  for (int64_t a : cuda_args) c->Arg(a);
  c->UseManualTime();
}

}  // namespace cutrain::bench

// Kernel launcher of the backend under benchmark.
#if CUTRAIN_WITH_CUDA
#define CUTRAIN_BENCH_CALL(dev, fn, ...) \
  ((dev).cuda ? ::cutrain::kernels::cuda::fn(__VA_ARGS__) : ::cutrain::kernels::emu::fn(__VA_ARGS__))
#else
#define CUTRAIN_BENCH_CALL(dev, fn, ...) ::cutrain::kernels::emu::fn(__VA_ARGS__)
#endif

// Registers at static-initialisation time: one argument for the emulated
// smoke run, then the GPU's arguments.
#define CUTRAIN_KERNEL_BENCH(id, name, body, emu_arg, ...)                                            \
  static const bool cutrain_bench_registered_##id = [] {                                              \
    ::cutrain::bench::register_kernel_bench(name, body, {emu_arg}, {__VA_ARGS__});                    \
    return true;                                                                                      \
  }()
