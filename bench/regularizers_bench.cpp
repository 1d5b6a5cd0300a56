// L2 weight decay over the regularized weights of Inception V3 (every conv
// weight and both classifiers, bench/inception_convs.h): one l2_loss launch
// pair per tensor as the training step runs them, both backends
// (kernel_bench.h); and one large tensor alone (the 2048x1000 classifier).
// Bytes: read w once (4 per f32 element). Emulated runs divide every size by
// the argument (a smoke test).
#include <algorithm>

#include "inception_convs.h"
#include "kernel_bench.h"
#include "regularizers.cuh"

namespace {

namespace k = cutrain::kernels;
using cutrain::bench::BenchDevice;

std::vector<int64_t> inception_v3_regularized_sizes() {
  std::vector<int64_t> sizes;
  for (const cutrain::bench::ConvShape& s : cutrain::bench::inception_v3_convs())
    for (int i = 0; i < s.count; ++i) sizes.push_back(int64_t{s.o} * s.kh * s.kw * s.c);
  sizes.push_back(128 * 768);      // auxiliary head 1x1
  sizes.push_back(768 * 5 * 5 * 128);
  sizes.push_back(768 * 1000);     // auxiliary classifier
  sizes.push_back(2048 * 1000);    // classifier
  return sizes;
}

struct Weights {
  BenchDevice& dev;
  std::vector<float*> w, out;
  std::vector<double*> ws;
  std::vector<int64_t> n;
  Weights(BenchDevice& d, const std::vector<int64_t>& sizes, int64_t divisor) : dev(d) {
    for (int64_t s : sizes) {
      n.push_back(std::max<int64_t>(1, s / divisor));
      w.push_back(static_cast<float*>(dev.alloc(static_cast<std::size_t>(n.back()) * 4)));
      out.push_back(static_cast<float*>(dev.alloc(4)));
      ws.push_back(static_cast<double*>(dev.alloc(static_cast<std::size_t>(k::l2_loss_blocks(n.back())) * 8)));
    }
  }
  ~Weights() {
    for (std::size_t i = 0; i < n.size(); ++i) {
      dev.free(w[i]);
      dev.free(out[i]);
      dev.free(ws[i]);
    }
  }
  double elements() const {
    double e = 0;
    for (int64_t v : n) e += static_cast<double>(v);
    return e;
  }
};

void l2_body(benchmark::State& state, BenchDevice& dev, const std::vector<int64_t>& sizes) {
  Weights p(dev, sizes, dev.cuda ? 1 : state.range(0));
  cutrain::bench::time_launches(state, dev, 4.0 * p.elements(), [&] {
    for (std::size_t i = 0; i < p.n.size(); ++i)
      CUTRAIN_BENCH_CALL(dev, l2_loss, 4e-5, p.w[i], p.n[i], p.ws[i], p.out[i], dev.stream);
  });
  state.counters["tensors"] = static_cast<double>(p.n.size());
  state.counters["params"] = p.elements();
}
CUTRAIN_KERNEL_BENCH(l2_inception, "L2LossInceptionV3PerTensor",
                     [](benchmark::State& s, BenchDevice& d) { l2_body(s, d, inception_v3_regularized_sizes()); },
                     1000, 1);
CUTRAIN_KERNEL_BENCH(l2_classifier, "L2LossClassifier2048x1000",
                     [](benchmark::State& s, BenchDevice& d) { l2_body(s, d, {2048 * 1000}); }, 1000, 1);

}  // namespace
