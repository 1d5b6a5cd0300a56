// Softmax forward along rows of 1000 classes, both backends (kernel_bench.h).
#include "kernel_bench.h"
#include "softmax.cuh"

namespace {

using cutrain::bench::BenchDevice;

void softmax_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t cols = 1000, rows = state.range(0);
  float* x = static_cast<float*>(dev.alloc(static_cast<std::size_t>(rows * cols) * 4));
  float* y = static_cast<float*>(dev.alloc(static_cast<std::size_t>(rows * cols) * 4));
  cutrain::bench::time_launches(state, dev, 8.0 * static_cast<double>(rows * cols), [&] {
    CUTRAIN_BENCH_CALL(dev, softmax_forward, false, x, y, rows, cols, dev.stream);
  });
  dev.free(x);
  dev.free(y);
}
CUTRAIN_KERNEL_BENCH(softmax, "SoftmaxRows1000F32", softmax_body, 4, 64, 4096);

}  // namespace
