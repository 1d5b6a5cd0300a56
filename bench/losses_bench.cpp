// Fused softmax cross-entropy (loss and gradient in one pass over the
// logits) for a batch of 1000-class rows, both backends (kernel_bench.h).
#include "kernel_bench.h"
#include "losses.cuh"

namespace {

namespace k = cutrain::kernels;
using cutrain::bench::BenchDevice;

void xent_body(benchmark::State& state, BenchDevice& dev) {
  const int64_t classes = 1000, n = state.range(0);
  float* x = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n * classes) * 4));
  float* g = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n * classes) * 4));
  float* loss = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  float* dl = static_cast<float*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  int32_t* labels = static_cast<int32_t*>(dev.alloc(static_cast<std::size_t>(n) * 4));
  cutrain::bench::time_launches(state, dev, 8.0 * static_cast<double>(n * classes), [&] {
    CUTRAIN_BENCH_CALL(dev, softmax_cross_entropy, x, k::LabelKind::i32, labels, n, classes, 0.1, loss, dl, g,
                       dev.stream);
  });
  for (void* p : {static_cast<void*>(x), static_cast<void*>(g), static_cast<void*>(loss), static_cast<void*>(dl),
                  static_cast<void*>(labels)})
    dev.free(p);
}
CUTRAIN_KERNEL_BENCH(xent, "SoftmaxCrossEntropyFusedF32", xent_body, 4, 64, 4096);

}  // namespace
