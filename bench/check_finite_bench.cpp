// The numerics check's kernel (kernels/check_finite.cu), both backends
// (kernel_bench.h): one read of an Inception activation (35x35x288 per
// image) in f32 — the cost --check-numerics adds per checked output.
#include "check_finite.cuh"
#include "kernel_bench.h"

namespace {

namespace k = cutrain::kernels;
using cutrain::bench::BenchDevice;

void check_finite_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t n = state.range(0) * 35 * 35 * 288;
  void* x = dev.alloc(static_cast<std::size_t>(n) * 4);
  auto* flag = static_cast<int32_t*>(dev.alloc(sizeof(int32_t)));
  cutrain::bench::time_launches(state, dev, 4.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, check_finite, x, 4, k::non_finite_mask(4, false), n, 0, flag, dev.stream);
  });
  dev.free(x);
  dev.free(flag);
}
CUTRAIN_KERNEL_BENCH(check_finite, "CheckFiniteF32", check_finite_body, 1, 32);

}  // namespace
