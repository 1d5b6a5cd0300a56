// random_normal (Philox + Box-Muller per element, the VAE's noise), both
// backends (kernel_bench.h): bytes/s of the output written.
#include "kernel_bench.h"
#include "random.cuh"

namespace {

using cutrain::bench::BenchDevice;

void random_normal_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t n = state.range(0);
  float* out = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  uint64_t step = 0;
  cutrain::bench::time_launches(state, dev, 4.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, random_normal, out, n, 0.0, 1.0, 7, step++, nullptr, dev.stream);
  });
  dev.free(out);
}
CUTRAIN_KERNEL_BENCH(random, "RandomNormalF32", random_normal_body, 1 << 12, 32 * 2048, 1 << 26);

}  // namespace
