// reduce_sum on the kernel backends. Emulated build: a smoke test of the
// kernel and the emulator's throughput (bytes/s = n * sizeof(float) / s).
#include <benchmark/benchmark.h>

#include <vector>

#include "emu/runtime.h"
#include "reduce.cuh"

namespace {

void BM_EmuReduceSumF32(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<float> x(static_cast<std::size_t>(n), 1.0f);
  std::vector<float> ws(static_cast<std::size_t>(cutrain::kernels::emu::reduce_sum_workspace(n)));
  float out = 0.0f;
  for (auto _ : state) {
    cutrain::kernels::emu::reduce_sum(x.data(), n, ws.data(), &out, nullptr);
    benchmark::DoNotOptimize(out);
  }
  if (out != static_cast<float>(n)) state.SkipWithError("wrong sum");
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_EmuReduceSumF32)->Arg(1 << 12)->Arg(1 << 18);

}  // namespace

// Axis reductions on both backends (kernel_bench.h): the bias gradient of an
// NHWC activation (sum over N, H, W: columns) and a per-row sum (rows).
#include "kernel_bench.h"

namespace {

namespace k = cutrain::kernels;
using cutrain::bench::BenchDevice;

void reduce_body(benchmark::State& state, BenchDevice& dev, bool rows) {
  const int64_t c = rows ? 1000 : 288, n = state.range(0) / c * c;
  float* x = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  float* y = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n / c > c ? n / c : c) * 4));
  const k::ReduceIndex idx = k::make_reduce_index({n / c, c}, rows ? std::vector<char>{0, 1} : std::vector<char>{1, 0});
  cutrain::bench::time_launches(state, dev, 4.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, reduce_axes, x, idx, 1.0, y, dev.stream);
  });
  dev.free(x);
  dev.free(y);
}
CUTRAIN_KERNEL_BENCH(columns, "ReduceAxesColumnsF32", [](benchmark::State& s, BenchDevice& d) { reduce_body(s, d, false); },
                     1 << 12, 8 * 35 * 35 * 288, 32 * 35 * 35 * 288);
CUTRAIN_KERNEL_BENCH(rows, "ReduceAxesRowsF32", [](benchmark::State& s, BenchDevice& d) { reduce_body(s, d, true); },
                     1 << 12, 1 << 22);

}  // namespace
