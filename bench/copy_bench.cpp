// Shape-op copies, both backends (kernel_bench.h): NHWC -> NCHW transpose and
// the concat of Mixed_5b's four branches (64 + 64 + 96 + 32 channels).
#include "copy.cuh"
#include "kernel_bench.h"

namespace {

namespace k = cutrain::kernels;
using cutrain::bench::BenchDevice;

void transpose_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t b = state.range(0), h = 35, w = 35, c = 288, n = b * h * w * c;
  void* x = dev.alloc(static_cast<std::size_t>(n) * 4);
  void* y = dev.alloc(static_cast<std::size_t>(n) * 4);
  const k::TransposeIndex idx = k::make_transpose_index({b, h, w, c}, {0, 3, 1, 2});
  cutrain::bench::time_launches(state, dev, 8.0 * static_cast<double>(n), [&] {
    CUTRAIN_BENCH_CALL(dev, transpose, x, y, 4, n, idx, dev.stream);
  });
  dev.free(x);
  dev.free(y);
}
CUTRAIN_KERNEL_BENCH(transpose, "TransposeNhwcToNchwF32", transpose_body, 1, 32);

void concat_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t rows = state.range(0) * 35 * 35, total = 256;
  const int64_t widths[] = {64, 64, 96, 32};
  std::vector<void*> in;
  for (int64_t wdt : widths) in.push_back(dev.alloc(static_cast<std::size_t>(rows * wdt) * 4));
  char* out = static_cast<char*>(dev.alloc(static_cast<std::size_t>(rows * total) * 4));
  cutrain::bench::time_launches(state, dev, 8.0 * static_cast<double>(rows * total), [&] {
    int64_t off = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      CUTRAIN_BENCH_CALL(dev, strided_copy, in[i], widths[i], out + off * 4, total, rows, widths[i], 4, dev.stream);
      off += widths[i];
    }
  });
  for (void* p : in) dev.free(p);
  dev.free(out);
}
CUTRAIN_KERNEL_BENCH(concat, "ConcatMixed5bF32", concat_body, 1, 32);

}  // namespace
