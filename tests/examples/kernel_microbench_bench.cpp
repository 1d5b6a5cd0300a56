// A user's own CPU kernel, saxpy (y = a x + y), benchmarked with cutrain's
// kit (find_package(cutrain COMPONENTS bench), target cutrain::bench), against
// the installed package (tests/install builds and runs it).
//
// Work per call on n floats: read x and y, write y (12 n bytes), one multiply
// and one add (2 n FLOP). The roofline is this machine's, which only its user
// knows: pass the measured bandwidth (a STREAM triad, say) and/or the compute
// peak, and the run reports the fraction of the binding one; without them it
// reports the rates only.
//
//   example_kernel_microbench_bench --peak_bytes_per_second=<B/s> --peak_flops_per_second=<FLOP/s>
#include <benchmark/benchmark.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "cutrain/bench/counters.h"

namespace {

void saxpy(int64_t n, float a, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = a * x[i] + y[i];
}

void bm_saxpy(benchmark::State& state, const std::optional<cutrain::bench::Roofline>& roofline) {
  const int64_t n = state.range(0);
  std::vector<float> x(static_cast<std::size_t>(n), 1.0f), y(static_cast<std::size_t>(n), 2.0f);
  const double seconds = cutrain::bench::time_host(state, [&] {
    saxpy(n, 0.5f, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  });
  const double elements = static_cast<double>(n);
  cutrain::bench::report_work(state, 12.0 * elements, 2.0 * elements, roofline ? &*roofline : nullptr, seconds);
}

// "--name=value" as a finite number > 0; nullopt when `arg` is another flag.
std::optional<double> number_flag(const char* arg, const char* name, bool& bad) {
  const std::size_t len = std::strlen(name);
  if (std::strncmp(arg, name, len) != 0 || arg[len] != '=') return std::nullopt;
  const char* text = arg + len + 1;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v <= 0) {
    std::fprintf(stderr, "%s: expected a finite number > 0, got '%s'\n", name, text);
    bad = true;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // takes its --benchmark_* flags out of argv
  cutrain::bench::Roofline peaks;
  bool bad = false;
  for (int i = 1; i < argc; ++i) {
    if (auto v = number_flag(argv[i], "--peak_bytes_per_second", bad)) {
      peaks.bytes_per_second = *v;
    } else if (auto f = number_flag(argv[i], "--peak_flops_per_second", bad)) {
      peaks.flops_per_second = *f;
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n", argv[i]);
      bad = true;
    }
  }
  if (bad) return 2;
  std::optional<cutrain::bench::Roofline> roofline;
  if (peaks.bytes_per_second > 0 || peaks.flops_per_second > 0) {
    roofline = peaks;
    char text[160];
    std::snprintf(text, sizeof text, "given on the command line: %.4g B/s, %.4g FLOP/s (0: not given)",
                  peaks.bytes_per_second, peaks.flops_per_second);
    benchmark::AddCustomContext("roofline", text);
  } else {
    benchmark::AddCustomContext("roofline", "none given (--peak_bytes_per_second, --peak_flops_per_second)");
  }
  benchmark::RegisterBenchmark("saxpy_f32", [&](benchmark::State& s) { bm_saxpy(s, roofline); })
      ->Arg(1 << 12)  // 32 KiB of arrays: in a core's L2
      ->Arg(1 << 22)  // 32 MiB: more than many CPUs' last-level cache
      ->UseManualTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
