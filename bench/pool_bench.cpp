// Pooling kernels at Inception V3's shapes (batch 128): max pool 3x3/2 VALID
// (the stem and the grid reductions), avg pool 3x3/1 SAME (the branch pools),
// their gradients (gathers), global average pool 8x8x2048. Counters:
// bytes_per_second of the minimum traffic (read the input once, write the
// output once; grads read dy and, for max, x) and roofline, the fraction of
// the 3.0 TB/s copy ceiling (kernel_bench.h).
// Emulated build: a smoke run at a small size.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "kernel_bench.h"
#include "pool.cuh"

namespace {

using namespace cutrain;

kernels::PoolGeometry geometry(int64_t n, int64_t hw, int64_t c, int64_t k, int64_t s, bool same) {
  kernels::PoolGeometry g;
  g.n = n, g.in_h = g.in_w = hw, g.c = c, g.kh = g.kw = k, g.sh = g.sw = s;
  if (same) {
    g.out_h = g.out_w = (hw + s - 1) / s;
    const int64_t pad = std::max<int64_t>((g.out_h - 1) * s + k - hw, 0);
    g.pad_top = g.pad_left = pad / 2;
    g.pad_bottom = g.pad_right = pad - pad / 2;
  } else {
    g.out_h = g.out_w = (hw - k) / s + 1;
  }
  return g;
}

void BM_EmuPoolSmoke(benchmark::State& state) {
  const kernels::PoolGeometry g = geometry(1, 9, 8, 3, 2, false);
  std::vector<float> x(static_cast<size_t>(9 * 9 * 8), 1.0f), y(static_cast<size_t>(g.out_h * g.out_w * 8));
  for (auto _ : state) {
    kernels::emu::max_pool_forward<float>(g, x.data(), y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>((x.size() + y.size()) * sizeof(float)));
}
BENCHMARK(BM_EmuPoolSmoke);

#if CUTRAIN_WITH_CUDA
using bench::DeviceArray;

struct Case {
  const char* name;
  int64_t hw, c, k, s;
  bool same, max;
};
const Case kCases[] = {{"stem_maxpool_147x147x64", 147, 64, 3, 2, false, true},
                       {"mixed6a_maxpool_35x35x288", 35, 288, 3, 2, false, true},
                       {"mixed5b_avgpool_35x35x192", 35, 192, 3, 1, true, false},
                       {"mixed6b_avgpool_17x17x768", 17, 768, 3, 1, true, false},
                       {"mixed7b_avgpool_8x8x1280", 8, 1280, 3, 1, true, false}};

void BM_Pool(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Case& cs = kCases[state.range(0)];
  const bool backward = state.range(1) != 0;
  state.SetLabel(std::string(cs.name) + (backward ? " backward" : " forward"));
  const kernels::PoolGeometry g = geometry(128, cs.hw, cs.c, cs.k, cs.s, cs.same);
  const int64_t nx = g.n * g.in_h * g.in_w * g.c, ny = g.n * g.out_h * g.out_w * g.c;
  DeviceArray<float> x(nx), dx(nx), y(ny), dy(ny);
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  auto run = [&] {
    if (cs.max && !backward) kernels::cuda::max_pool_forward<float>(g, x.p, y.p, s);
    if (cs.max && backward) kernels::cuda::max_pool_backward<float>(g, dy.p, x.p, dx.p, s);
    if (!cs.max && !backward) kernels::cuda::avg_pool_forward<float>(g, false, x.p, y.p, s);
    if (!cs.max && backward) kernels::cuda::avg_pool_backward<float>(g, false, dy.p, dx.p, s);
  };
  const double bytes = static_cast<double>(nx + ny + (backward && cs.max ? nx : 0)) * sizeof(float);
  bench::time_median(state, s, bytes, run);
  CUDA_CHECK(cudaStreamDestroy(s));
}
BENCHMARK(BM_Pool)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1}})
    ->ArgNames({"case", "backward"})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMicrosecond);

void BM_GlobalAvgPool(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const int64_t n = 128, hw = 64, c = 2048;
  DeviceArray<float> x(n * hw * c), y(n * c);
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  bench::time_median(state, s, static_cast<double>(n * hw * c + n * c) * sizeof(float),
                     [&] { kernels::cuda::global_avg_pool_forward<float>(x.p, n, hw, c, y.p, s); });
  CUDA_CHECK(cudaStreamDestroy(s));
}
BENCHMARK(BM_GlobalAvgPool)->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
