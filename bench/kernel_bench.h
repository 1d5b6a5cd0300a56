// Shared by the kernel benchmarks, on the public kit (cutrain/bench:
// report_work, the timing loops, StreamTimer, median_ms). Two styles:
//  - CUTRAIN_KERNEL_BENCH bodies run on the emulated backend (a smoke test
//    with tiny sizes, on every machine) and, in a CUDA build with a device,
//    on the GPU with CUDA-event timing of every iteration (time_launches).
//  - CUDA-only benchmarks time a launch sequence with time_ms (median of
//    event-timed runs) on DeviceArray memory, one benchmark iteration each
//    (time_median).
// Both report bytes_per_second (the bytes each launch must move at least, per
// second) and, on the GPU, roofline: the fraction of the ceilings measured on
// our H100 (kMeasuredH100), which for these kernels is the copy ceiling. The
// emulated runs report no roofline: an H100's ceiling says nothing about the
// emulator.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cutrain/bench/counters.h"
#include "cutrain/bench/timer.h"
#include "cutrain/core/error.h"
#include "emu/runtime.h"

#if CUTRAIN_WITH_CUDA
#include <cuda_runtime.h>

#include "cutrain/cuda/check.h"
#endif

namespace cutrain::bench {

// Device-to-device copy (bytes read + written) and an 8192^3 fp32 SGEMM,
// measured on our H100 (bench/results/2026-11-22-h100-first-bringup.md): what
// a kernel can reach there, below the datasheet's kH100Sxm.
inline constexpr Roofline kMeasuredH100{3.0e12, 52e12};

#if CUTRAIN_WITH_CUDA
// Median milliseconds of `reps` event-timed runs of f on stream s (after one
// warm-up run).
template <typename F>
double time_ms(cudaStream_t s, F&& f, int reps = 20) {
  StreamTimer timer(s);
  timer.time_ms(f);
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) ms.push_back(timer.time_ms(f));
  return median_ms(std::move(ms));
}

// The loop of a CUDA-only benchmark: each iteration is the median of
// time_ms's runs of `run`; reports bytes_per_second and roofline for `bytes`
// moved per run, and the median as `us`.
template <typename F>
void time_median(benchmark::State& state, cudaStream_t s, double bytes, F&& run) {
  double ms = 0;
  const double seconds = time_manual(state, [&] {
    ms = time_ms(s, run);
    return ms / 1e3;
  });
  report_work(state, bytes, 0, &kMeasuredH100, seconds);
  state.counters["us"] = ms * 1e3;
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

// Runs the loop over `launch` (which enqueues the kernels of one iteration on
// dev.stream) and reports the counters for `bytes` moved per iteration.
// (dev tells the backends apart only in a CUDA build.)
inline void time_launches(benchmark::State& state, [[maybe_unused]] BenchDevice& dev, double bytes,
                          const std::function<void()>& launch) {
#if CUTRAIN_WITH_CUDA
  if (dev.cuda) {
    const double seconds = time_stream(state, dev.stream, launch);
    report_work(state, bytes, 0, &kMeasuredH100, seconds);
    return;
  }
#endif
  for (auto _ : state) launch();
  report_work(state, bytes, 0);
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
    // A failed launch or event (checked by the kit) ends this benchmark, with
    // the call named, and not the whole run.
    try {
      body(s, dev);
    } catch (const Error& e) {
      s.SkipWithError(e.what());
    }
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
