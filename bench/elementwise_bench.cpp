// relu forward on the kernel backends. Emulated build: a smoke test of the
// kernel and the emulator's throughput (bytes/s = 2 * n * sizeof(float) / s).
#include <benchmark/benchmark.h>

#include <vector>

#include "elementwise.cuh"
#include "emu/runtime.h"

namespace {

void BM_EmuReluForwardF32(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<float> x(static_cast<std::size_t>(n), -0.5f), y(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; i += 2) x[static_cast<std::size_t>(i)] = 1.5f;
  for (auto _ : state) {
    cutrain::kernels::emu::relu_forward(x.data(), y.data(), n, nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 2 * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_EmuReluForwardF32)->Arg(1 << 12)->Arg(1 << 18);

}  // namespace
