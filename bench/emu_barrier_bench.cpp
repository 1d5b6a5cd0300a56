// Cost of the emulator's block barrier: nanoseconds per emulated thread per
// __syncthreads (counter ns_per_thread_barrier), for several block sizes.
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

// This benchmark is itself an emulated kernel TU: the emulation header first.
#include "emu/emu.h"
#include "launch.cuh"

namespace cutrain::kernels::emu_bench {

__global__ void barriers_kernel(int iters, int* out) {
  int acc = 0;
  for (int i = 0; i < iters; ++i) {
    acc += static_cast<int>(threadIdx.x);
    __syncthreads();
  }
  if (threadIdx.x == 0) out[0] = acc;
}

void barriers(int block, int iters, int* out) { CUTRAIN_LAUNCH(barriers_kernel, 1, block, 0, nullptr, iters, out); }

}  // namespace cutrain::kernels::emu_bench

namespace {

void BM_EmuSyncthreads(benchmark::State& state) {
  const int block = static_cast<int>(state.range(0)), iters = 64;
  int out = 0;
  double ns = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    cutrain::kernels::emu_bench::barriers(block, iters, &out);
    ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["ns_per_thread_barrier"] = ns / (static_cast<double>(state.iterations()) * block * iters);
}
BENCHMARK(BM_EmuSyncthreads)->Arg(32)->Arg(256)->Arg(1024);

}  // namespace
