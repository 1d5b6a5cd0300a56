// Dropout forward (Philox mask + scaled output), both backends (kernel_bench.h).
#include "dropout.cuh"
#include "kernel_bench.h"

namespace {

using cutrain::bench::BenchDevice;

void dropout_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t n = state.range(0);
  float* x = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  float* y = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  uint8_t* m = static_cast<uint8_t*>(dev.alloc(static_cast<std::size_t>(n)));
  uint64_t step = 0;
  cutrain::bench::time_launches(state, dev, 9.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, dropout_forward, x, y, m, n, 0.2, true, 7, step++, nullptr, dev.stream);
  });
  dev.free(x);
  dev.free(y);
  dev.free(m);
}
CUTRAIN_KERNEL_BENCH(dropout, "DropoutForwardF32", dropout_body, 1 << 12, 32 * 2048, 1 << 26);

}  // namespace
