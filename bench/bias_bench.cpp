// Convolution helpers: bias add and the per-channel sum (bias gradient) at
// Inception V3 activation shapes (batch 128), and the zero-padding copy the
// asymmetric-padding path adds. bytes_per_second of the minimum traffic and
// roofline, the fraction of the 3.0 TB/s copy ceiling. Emulated build: a smoke run.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bias.cuh"
#include "kernel_bench.h"

namespace {

using namespace cutrain;

void BM_EmuChannelSumSmoke(benchmark::State& state) {
  const int64_t m = 512, c = 40;
  std::vector<float> x(static_cast<size_t>(m * c), 1.0f), out(static_cast<size_t>(c)),
      ws(static_cast<size_t>(kernels::emu::channel_sum_workspace(m, c)));
  for (auto _ : state) {
    kernels::emu::channel_sum<float>(x.data(), m, c, out.data(), ws.data(), nullptr);
    benchmark::DoNotOptimize(out.data());
  }
  if (out[0] != static_cast<float>(m)) state.SkipWithError("wrong sum");
  state.SetBytesProcessed(state.iterations() * m * c * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_EmuChannelSumSmoke);

#if CUTRAIN_WITH_CUDA
using bench::DeviceArray;

void BM_Bias(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const int64_t hw = state.range(0), c = state.range(1);
  const int op = static_cast<int>(state.range(2));  // 0 bias_add, 1 channel_sum, 2 pad (0/1 split)
  const int64_t m = 128 * hw * hw;
  state.SetLabel(std::to_string(hw) + "x" + std::to_string(hw) + "x" + std::to_string(c) +
                 (op == 0 ? " bias_add" : op == 1 ? " channel_sum" : " pad"));
  DeviceArray<float> x(m * c), b(c), out(std::max<int64_t>(c, 128 * (hw + 1) * (hw + 1) * c)),
      ws(kernels::cuda::channel_sum_workspace(m, c));
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  auto run = [&] {
    if (op == 0) kernels::cuda::bias_add<float>(x.p, b.p, m, c, s);
    if (op == 1) kernels::cuda::channel_sum<float>(x.p, m, c, out.p, ws.p, s);
    if (op == 2) kernels::cuda::pad_nhwc<float>(x.p, 128, hw, hw, c, 0, 1, 0, 1, out.p, s);
  };
  const double bytes = static_cast<double>(m * c) * sizeof(float) * (op == 1 ? 1 : 2);
  bench::time_median(state, s, bytes, run);
  CUDA_CHECK(cudaStreamDestroy(s));
}
BENCHMARK(BM_Bias)
    ->ArgsProduct({{35, 17, 8}, {192}, {0, 1, 2}})
    ->ArgNames({"hw", "c", "op"})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
