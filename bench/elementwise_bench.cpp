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

// The other elementwise kernels on both backends (kernel_bench.h): bytes are
// the minimum each launch moves (inputs read once, output written once).
#include "kernel_bench.h"

namespace {

namespace k = cutrain::kernels;
using cutrain::bench::BenchDevice;

void sigmoid_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t n = state.range(0);
  float* x = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  float* y = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  cutrain::bench::time_launches(state, dev, 8.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, unary, k::UnaryOp::sigmoid, x, y, n, 0.0, dev.stream);
  });
  dev.free(x);
  dev.free(y);
}
CUTRAIN_KERNEL_BENCH(sigmoid, "UnarySigmoidF32", sigmoid_body, 1 << 12, 1 << 20, 1 << 26);

// out[N, H, W, C] = x + bias[C]: the broadcast path (C = 288, Mixed_5d).
void bias_add_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t c = 288, n = state.range(0) / c * c;
  float* x = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  float* b = static_cast<float*>(dev.alloc(static_cast<std::size_t>(c) * 4));
  float* y = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  const k::BroadcastIndex idx = k::make_broadcast_index({n / c, c}, {n / c, c}, {c});
  cutrain::bench::time_launches(state, dev, 8.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, binary, k::BinaryOp::add, x, b, y, n, idx, dev.stream);
  });
  dev.free(x);
  dev.free(b);
  dev.free(y);
}
CUTRAIN_KERNEL_BENCH(bias_add, "BinaryBroadcastAddF32", bias_add_body, 1 << 12, 8 * 35 * 35 * 288, 1 << 26);

void add_n_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t n = state.range(0);
  std::vector<float*> xs;
  for (int i = 0; i < 4; ++i) xs.push_back(static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4)));
  float* y = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  std::vector<const float*> cx(xs.begin(), xs.end());
  cutrain::bench::time_launches(state, dev, 20.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, add_n, cx.data(), 4, y, n, dev.stream);
  });
  for (float* p : xs) dev.free(p);
  dev.free(y);
}
CUTRAIN_KERNEL_BENCH(add_n, "AddN4F32", add_n_body, 1 << 12, 1 << 24);

}  // namespace
