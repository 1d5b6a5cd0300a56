// Timers for microbenchmarks: HostTimer (the host's steady clock), StreamTimer
// (a pair of CUDA events on one stream) and median_ms.
//
// A host clock around a kernel launch measures the launch, not the kernel:
// GPU work is timed by events recorded on the stream it runs on, which see
// only that stream's work. StreamTimer takes the stream explicitly (no
// default stream) and owns its two events. It is compiled by nvcc, and by the
// host compiler in a CUDA build of cutrain (CUTRAIN_WITH_CUDA=1); a CPU-only
// build has HostTimer and median_ms alone.
//
// The median, not the mean: a microbenchmark's samples have a long tail
// (preemption, clock ramps, a page fault), which the median ignores.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "cutrain/core/error.h"

#if defined(__CUDACC__) || (defined(CUTRAIN_WITH_CUDA) && CUTRAIN_WITH_CUDA)
#define CUTRAIN_BENCH_HAS_CUDA 1
#include <cuda_runtime.h>

#include "cutrain/cuda/check.h"
#else
#define CUTRAIN_BENCH_HAS_CUDA 0
#endif

namespace cutrain::bench {

// Wall time since construction or the last restart(). steady_clock: the
// system clock can jump (NTP) in the middle of a measurement.
class HostTimer {
 public:
  using Clock = std::chrono::steady_clock;

  HostTimer() : start_(Clock::now()) {}
  void restart() { start_ = Clock::now(); }
  double elapsed_seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  double elapsed_ms() const { return elapsed_seconds() * 1e3; }

 private:
  Clock::time_point start_;
};

// Median of the samples (the mean of the middle two for an even count).
// Takes them by value: finding the median reorders them.
inline double median_ms(std::vector<double> samples) {
  CUTRAIN_CHECK(!samples.empty(), "median_ms: no samples (time at least one run)");
  for (std::size_t i = 0; i < samples.size(); ++i)
    CUTRAIN_CHECK(!std::isnan(samples[i]), "median_ms: sample ", i, " of ", samples.size(), " is NaN");
  const std::size_t mid = samples.size() / 2;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(mid), samples.end());
  const double upper = samples[mid];
  if (samples.size() % 2 == 1) return upper;
  const double lower = *std::max_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

#if CUTRAIN_BENCH_HAS_CUDA
// Milliseconds of the work enqueued on `stream` between start() and stop().
// The two events live as long as the timer, so a loop taking many samples
// creates and destroys none.
class StreamTimer {
 public:
  explicit StreamTimer(cudaStream_t stream) : stream_(stream) {
    CUDA_CHECK(cudaEventCreate(&start_));
    try {
      CUDA_CHECK(cudaEventCreate(&stop_));
    } catch (...) {
      cudaEventDestroy(start_);
      throw;
    }
  }
  // A destructor must not throw; destroying a valid event fails only with a
  // context that is already broken, which the next checked call reports.
  ~StreamTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  StreamTimer(const StreamTimer&) = delete;
  StreamTimer& operator=(const StreamTimer&) = delete;

  void start() { CUDA_CHECK(cudaEventRecord(start_, stream_)); }
  void stop() { CUDA_CHECK(cudaEventRecord(stop_, stream_)); }
  // Waits for the stop event. Event timing resolves about 0.5 us.
  double elapsed_ms() {
    CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return static_cast<double>(ms);
  }
  // Times what `launch` enqueues on the stream; a launch that failed to
  // start is reported here rather than as a wrong time.
  template <typename F>
  double time_ms(F&& launch) {
    start();
    std::forward<F>(launch)();
    CUDA_CHECK(cudaGetLastError());
    stop();
    return elapsed_ms();
  }
  cudaStream_t stream() const { return stream_; }

 private:
  cudaStream_t stream_;
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};
#endif

}  // namespace cutrain::bench
