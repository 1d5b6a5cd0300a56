// The cast kernel (kernels/cast.cu), both backends (kernel_bench.h): an
// Inception activation (35x35x288 per image) f32 -> bf16 and back, the
// casts the autocast pass puts at the edges of low-precision regions;
// bytes counted as one read and one write.
#include "cast.cuh"
#include "kernel_bench.h"

namespace {

using cutrain::DType;
using cutrain::bench::BenchDevice;

void cast_body(benchmark::State& state, BenchDevice& dev, DType from, DType to) {
  const int64_t n = state.range(0) * 35 * 35 * 288;
  const std::size_t in = cutrain::dtype_size(from), out = cutrain::dtype_size(to);
  void* x = dev.alloc(static_cast<std::size_t>(n) * in);
  void* y = dev.alloc(static_cast<std::size_t>(n) * out);
  cutrain::bench::time_launches(state, dev, static_cast<double>(in + out) * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, cast, x, from, y, to, n, dev.stream);
  });
  dev.free(x);
  dev.free(y);
}
void cast_f32_bf16(benchmark::State& s, BenchDevice& d) { cast_body(s, d, DType::f32, DType::bf16); }
void cast_bf16_f32(benchmark::State& s, BenchDevice& d) { cast_body(s, d, DType::bf16, DType::f32); }
void cast_f32_f16(benchmark::State& s, BenchDevice& d) { cast_body(s, d, DType::f32, DType::f16); }
CUTRAIN_KERNEL_BENCH(cast_f32_bf16, "CastF32ToBF16", cast_f32_bf16, 1, 32);
CUTRAIN_KERNEL_BENCH(cast_bf16_f32, "CastBF16ToF32", cast_bf16_f32, 1, 32);
CUTRAIN_KERNEL_BENCH(cast_f32_f16, "CastF32ToF16", cast_f32_f16, 1, 32);

}  // namespace
