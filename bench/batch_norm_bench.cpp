// Batch norm kernels at Inception V3's shapes (batch 128): training
// statistics (2 launches), apply with fused ReLU, backward (3 launches).
// Counters: bytes_per_second of the minimum traffic (stats: read x; apply:
// read x, write y; backward: read dy and x twice, write dx) and roofline, the
// fraction of the 3.0 TB/s copy ceiling. Emulated build: a smoke run at a small size.
#include <benchmark/benchmark.h>

#include <vector>

#include "batch_norm.cuh"
#include "kernel_bench.h"

namespace {

using namespace cutrain;

void BM_EmuBatchNormSmoke(benchmark::State& state) {
  const int64_t m = 256, c = 40;
  std::vector<float> x(static_cast<size_t>(m * c), 1.0f), y(x.size()), ws(static_cast<size_t>(kernels::emu::batch_norm_workspace(m, c)));
  std::vector<float> rm(static_cast<size_t>(c)), rv(static_cast<size_t>(c), 1.0f), mean(rm), inv(rm), beta(rm);
  for (auto _ : state) {
    kernels::emu::batch_norm_stats<float>(x.data(), m, c, 1e-3, 0.9, rm.data(), rv.data(), mean.data(), inv.data(), ws.data(), nullptr);
    kernels::emu::batch_norm_apply<float>(x.data(), mean.data(), inv.data(), nullptr, beta.data(), m, c, true, y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * m * c * 3 * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_EmuBatchNormSmoke);

#if CUTRAIN_WITH_CUDA
using bench::DeviceArray;

struct Shape4 {
  int64_t hw, c;
};
const Shape4 kShapes[] = {{147, 64}, {35, 64}, {35, 288}, {17, 192}, {17, 768}, {8, 320}, {8, 2048}};

void BM_BatchNorm(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Shape4 sh = kShapes[state.range(0)];
  const int phase = static_cast<int>(state.range(1));  // 0 stats, 1 apply+relu, 2 backward
  const int64_t m = 128 * sh.hw * sh.hw, c = sh.c;
  state.SetLabel(std::to_string(sh.hw) + "x" + std::to_string(sh.hw) + "x" + std::to_string(c) +
                 (phase == 0 ? " stats" : phase == 1 ? " apply_relu" : " backward"));
  DeviceArray<float> x(m * c), y(m * c), dy(m * c, 0.1f), rm(c), rv(c, 1.0f), mean(c), inv(c, 1.0f), g(c, 1.0f),
      b(c), db(c), dg(c), ws(kernels::cuda::batch_norm_workspace(m, c));
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  auto run = [&] {
    if (phase == 0)
      kernels::cuda::batch_norm_stats<float>(x.p, m, c, 1e-3, 0.9, rm.p, rv.p, mean.p, inv.p, ws.p, s);
    else if (phase == 1)
      kernels::cuda::batch_norm_apply<float>(x.p, mean.p, inv.p, g.p, b.p, m, c, true, y.p, s);
    else
      kernels::cuda::batch_norm_backward<float>(dy.p, x.p, mean.p, inv.p, g.p, m, c, true, y.p, db.p, dg.p, ws.p, s);
  };
  const double elems = static_cast<double>(m * c) * sizeof(float);
  bench::time_median(state, s, elems * (phase == 0 ? 1 : phase == 1 ? 2 : 5), run);
  CUDA_CHECK(cudaStreamDestroy(s));
}
BENCHMARK(BM_BatchNorm)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {0, 1, 2}})
    ->ArgNames({"shape", "phase"})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
