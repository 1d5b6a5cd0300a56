// Spectral norm kernels: forward with 1 power iteration (3 launches) and
// backward (2 launches) on a dense [1000, 2048] and a conv [192, 3, 3, 160]
// weight. Each power iteration reads W twice (W^T u, W v) and the finalize
// reads W and writes W / sigma: bytes_per_second of that traffic and roofline,
// the fraction of the 3.0 TB/s copy ceiling (these small weights are launch-latency bound; the
// microseconds matter more). Emulated build: a smoke run.
#include <benchmark/benchmark.h>

#include <vector>

#include "kernel_bench.h"
#include "spectral_norm.cuh"

namespace {

using namespace cutrain;

void BM_EmuSpectralNormSmoke(benchmark::State& state) {
  const int64_t r = 16, c = 40;
  std::vector<float> w(static_cast<size_t>(r * c), 0.1f), u(static_cast<size_t>(r), 0.25f), v(static_cast<size_t>(c), 0.1f),
      out(w.size()), sigma(1);
  std::vector<double> ws(static_cast<size_t>(kernels::emu::spectral_norm_workspace(r, c)));
  for (auto _ : state) {
    kernels::emu::spectral_norm_forward<float>(w.data(), r, c, c, 1, 1e-12, u.data(), v.data(), out.data(),
                                               sigma.data(), ws.data(), nullptr);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * r * c * 4 * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_EmuSpectralNormSmoke);

#if CUTRAIN_WITH_CUDA
using bench::DeviceArray;

void BM_SpectralNorm(benchmark::State& state) {
  if (!cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const bool conv = state.range(0) != 0, backward = state.range(1) != 0;
  const int64_t rows = conv ? 192 : 1000, cols = conv ? 3 * 3 * 160 : 2048;
  state.SetLabel(std::string(conv ? "conv 192x3x3x160" : "dense 1000x2048") + (backward ? " backward" : " forward"));
  DeviceArray<float> w(rows * cols), g(rows * cols, 0.01f), out(rows * cols), u(rows, 0.03f), v(cols, 0.02f),
      sigma(1, 2.0f);
  DeviceArray<double> ws(std::max(kernels::cuda::spectral_norm_workspace(rows, cols),
                                  kernels::cuda::spectral_norm_grad_workspace(rows * cols)));
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  auto run = [&] {
    if (backward)
      kernels::cuda::spectral_norm_backward<float>(g.p, w.p, u.p, v.p, sigma.p, nullptr, rows, cols, cols, out.p,
                                                   ws.p, s);
    else
      kernels::cuda::spectral_norm_forward<float>(w.p, rows, cols, cols, 1, 1e-12, u.p, v.p, out.p, sigma.p, ws.p, s);
  };
  bench::time_median(state, s, static_cast<double>(rows * cols) * sizeof(float) * (backward ? 3 : 4), run);
  CUDA_CHECK(cudaStreamDestroy(s));
}
BENCHMARK(BM_SpectralNorm)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"conv", "backward"})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
