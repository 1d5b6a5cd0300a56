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
