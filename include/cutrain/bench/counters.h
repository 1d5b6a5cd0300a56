// Roofline counters and manual-timing loops for Google Benchmark.
//
// Count the work of one iteration first: the bytes it must move at least and
// the floating-point operations it must do. report_work turns them into
// rates, bytes_per_second and flops_per_second, and, given the ceilings of
// the machine (a Roofline), into `roofline`: the time the work needs at the
// ceilings, max(bytes / peak bytes/s, flops / peak FLOP/s), over the time it
// took. 1 is the roof, whichever ceiling binds; 0.3 leaves room.
//
// Google Benchmark divides a rate counter by the run's time only after the
// benchmark function returns, and prints every such counter with "/s", so
// the fraction cannot be a rate counter: report_work takes the measured
// seconds instead. The timing loops here (time_manual, time_host and, on
// CUDA, time_stream) report every iteration's time with SetIterationTime and
// return their sum; register the benchmark with UseManualTime() and the
// library divides the rates by that same sum, so roofline * peak and the
// rates agree.
//
//   static void BM_Saxpy(benchmark::State& state) {
//     ...
//     const double s = cutrain::bench::time_host(state, [&] { saxpy(n, a, x, y); });
//     cutrain::bench::report_work(state, 12.0 * n, 2.0 * n, roofline, s);
//   }
//   BENCHMARK(BM_Saxpy)->Arg(1 << 20)->UseManualTime();
//
// Ceilings are those of the machine the benchmark runs on: kH100Sxm is the
// datasheet's, which a real kernel approaches but does not reach (a device
// copy measures about 90 % of the HBM figure); a CPU's are the user's to
// supply, from a STREAM run or the vendor's figures.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "cutrain/bench/timer.h"
#include "cutrain/core/error.h"

namespace cutrain::bench {

// Peak memory bandwidth and compute of one device. A ceiling left at 0 is
// not known and does not bind (a bandwidth-only roofline from STREAM).
struct Roofline {
  double bytes_per_second = 0;
  double flops_per_second = 0;

  // Seconds `bytes` and `flops` take at least under the known ceilings.
  double min_seconds(double bytes, double flops) const {
    check();
    double t = 0;
    if (bytes_per_second > 0) t = std::max(t, bytes / bytes_per_second);
    if (flops_per_second > 0) t = std::max(t, flops / flops_per_second);
    return t;
  }
  // Fraction of the binding ceiling reached by work that took `seconds`.
  double fraction(double bytes, double flops, double seconds) const {
    CUTRAIN_CHECK(std::isfinite(seconds) && seconds > 0, "Roofline::fraction: seconds must be a finite number > 0, got ",
                  seconds);
    const double t = min_seconds(bytes, flops);
    CUTRAIN_CHECK(t > 0, "Roofline::fraction: no known ceiling applies to this work (", bytes, " bytes, ", flops,
                  " FLOP; ceilings ", bytes_per_second, " B/s, ", flops_per_second, " FLOP/s)");
    return t / seconds;
  }
  void check() const {
    CUTRAIN_CHECK(std::isfinite(bytes_per_second) && bytes_per_second >= 0 && std::isfinite(flops_per_second) &&
                      flops_per_second >= 0 && (bytes_per_second > 0 || flops_per_second > 0),
                  "Roofline: ceilings must be finite numbers >= 0, at least one of them > 0; got ", bytes_per_second,
                  " B/s and ", flops_per_second, " FLOP/s");
  }
};

// NVIDIA H100 SXM5 (80 GB), from NVIDIA's H100 Tensor Core GPU datasheet:
// HBM3 3.35 TB/s, FP32 67 TFLOP/s (CUDA cores, no tensor cores; TF32, BF16
// and FP16 GEMMs have higher ceilings of their own).
inline constexpr Roofline kH100Sxm{3.35e12, 67e12};

// Sets bytes_per_second and flops_per_second from the work of one iteration
// (rates over the run's time; a count of 0 was not counted and sets no
// counter: a copy has no FLOPs worth a column). Call after the loop.
inline void report_work(benchmark::State& state, double bytes, double flops) {
  CUTRAIN_CHECK(std::isfinite(bytes) && bytes >= 0, "report_work: bytes must be a finite number >= 0, got ", bytes);
  CUTRAIN_CHECK(std::isfinite(flops) && flops >= 0, "report_work: flops must be a finite number >= 0, got ", flops);
  const double iterations = static_cast<double>(state.iterations());
  if (bytes > 0) state.counters["bytes_per_second"] = benchmark::Counter(bytes * iterations, benchmark::Counter::kIsRate);
  if (flops > 0) state.counters["flops_per_second"] = benchmark::Counter(flops * iterations, benchmark::Counter::kIsRate);
}

// The rates and, when `roofline` is given, `roofline`: the fraction of its
// binding ceiling reached in `seconds`, the time the loop measured (what the
// timing loops below return).
inline void report_work(benchmark::State& state, double bytes, double flops, const Roofline* roofline,
                        double seconds) {
  report_work(state, bytes, flops);
  if (roofline == nullptr) return;
  const double iterations = static_cast<double>(state.iterations());
  state.counters["roofline"] = benchmark::Counter(roofline->fraction(bytes * iterations, flops * iterations, seconds));
}

// Runs the benchmark loop; `one_iteration` runs one iteration and returns
// the seconds it took, which go to SetIterationTime. Returns their sum.
template <typename F>
double time_manual(benchmark::State& state, F&& one_iteration) {
  double total = 0;
  for (auto _ : state) {
    const double s = one_iteration();
    state.SetIterationTime(s);
    total += s;
  }
  return total;
}

// Each iteration's `run` timed by the host clock: for CPU kernels. The two
// clock reads add tens of nanoseconds: size the work well above that.
template <typename F>
double time_host(benchmark::State& state, F&& run) {
  return time_manual(state, [&] {
    const HostTimer timer;
    run();
    return timer.elapsed_seconds();
  });
}

#if CUTRAIN_BENCH_HAS_CUDA
// Each iteration's launches timed by events on `stream`: what the GPU spent
// on them, not what enqueuing them cost the host. One warm-up run first
// (module loading, first-touch of memory), outside the timed loop.
template <typename F>
double time_stream(benchmark::State& state, cudaStream_t stream, F&& launch) {
  StreamTimer timer(stream);
  timer.time_ms(launch);
  return time_manual(state, [&] { return timer.time_ms(launch) / 1e3; });
}
#endif

}  // namespace cutrain::bench
