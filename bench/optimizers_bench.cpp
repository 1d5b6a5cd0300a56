// Adam over every trainable tensor of Inception V3: one multi-tensor launch
// (kernels/optimizers.cuh) against one launch per tensor, both backends
// (kernel_bench.h). The parameter list is built from the convolution list
// (bench/inception_convs.h): per convolution an OHWI weight and batch-norm
// gamma and beta, plus the auxiliary head and both classifiers. Bytes per
// element: read w, g, m, v and write w, m, v (28 for f32). The parameter EMA
// over the same list reads shadow and w and writes shadow (12). Emulated runs
// divide every size by the argument (a smoke test).
#include <algorithm>

#include "inception_convs.h"
#include "kernel_bench.h"
#include "optimizers.cuh"

namespace {

namespace k = cutrain::kernels;
using cutrain::bench::BenchDevice;

std::vector<int64_t> inception_v3_parameter_sizes() {
  std::vector<int64_t> sizes;
  auto conv = [&](int64_t c, int64_t o, int64_t kh, int64_t kw) {
    sizes.push_back(o * kh * kw * c);  // weight
    sizes.push_back(o);                // batch-norm gamma
    sizes.push_back(o);                // batch-norm beta
  };
  for (const cutrain::bench::ConvShape& s : cutrain::bench::inception_v3_convs())
    for (int i = 0; i < s.count; ++i) conv(s.c, s.o, s.kh, s.kw);
  conv(768, 128, 1, 1);  // auxiliary head
  conv(128, 768, 5, 5);
  sizes.push_back(768 * 1000);  // auxiliary classifier
  sizes.push_back(1000);
  sizes.push_back(2048 * 1000);  // classifier
  sizes.push_back(1000);
  return sizes;
}

struct Params {
  BenchDevice& dev;
  std::vector<k::ParamSlots<float>> slots;
  explicit Params(BenchDevice& d, int64_t divisor) : dev(d) {
    for (int64_t n : inception_v3_parameter_sizes()) {
      k::ParamSlots<float> s;
      s.n = std::max<int64_t>(1, n / divisor);
      const std::size_t bytes = static_cast<std::size_t>(s.n) * 4;
      s.param = static_cast<float*>(dev.alloc(bytes));
      s.grad = static_cast<float*>(dev.alloc(bytes));
      s.state0 = static_cast<float*>(dev.alloc(bytes));
      s.state1 = static_cast<float*>(dev.alloc(bytes));
      slots.push_back(s);
    }
  }
  ~Params() {
    for (auto& s : slots)
      for (void* p : {static_cast<void*>(s.param), const_cast<void*>(static_cast<const void*>(s.grad)),
                      static_cast<void*>(s.state0), static_cast<void*>(s.state1)})
        dev.free(p);
  }
  double elements() const {
    double e = 0;
    for (const auto& s : slots) e += static_cast<double>(s.n);
    return e;
  }
};

void adam_body(benchmark::State& state, BenchDevice& dev, bool multi) {
  Params p(dev, dev.cuda ? 1 : state.range(0));
  const k::AdamHyper h{{1e-3, 0.9, 0.999, 1e-8, 0.0, 1, false}};
  cutrain::bench::time_launches(state, dev, 28.0 * p.elements(), [&] {
    if (multi) {
      CUTRAIN_BENCH_CALL(dev, adam_update, h, p.slots.data(), static_cast<int>(p.slots.size()), dev.stream);
    } else {
      for (const auto& s : p.slots) CUTRAIN_BENCH_CALL(dev, adam_update, h, &s, 1, dev.stream);
    }
  });
  state.counters["tensors"] = static_cast<double>(p.slots.size());
  state.counters["params"] = p.elements();
}
CUTRAIN_KERNEL_BENCH(adam_multi, "AdamInceptionV3MultiTensor",
                     [](benchmark::State& s, BenchDevice& d) { adam_body(s, d, true); }, 1000, 1);
CUTRAIN_KERNEL_BENCH(adam_each, "AdamInceptionV3PerTensor",
                     [](benchmark::State& s, BenchDevice& d) { adam_body(s, d, false); }, 1000, 1);

// Parameter EMA after each step: read shadow and weight, write shadow (12 bytes per f32 element).
void ema_body(benchmark::State& state, BenchDevice& dev) {
  Params p(dev, dev.cuda ? 1 : state.range(0));
  std::vector<k::ParamSlots<float>> ema;
  for (const auto& s : p.slots) ema.push_back({s.state0, s.param, nullptr, nullptr, s.n});
  const k::EmaHyper h{0.9999};
  cutrain::bench::time_launches(state, dev, 12.0 * p.elements(), [&] {
    CUTRAIN_BENCH_CALL(dev, ema_update, h, ema.data(), static_cast<int>(ema.size()), dev.stream);
  });
  state.counters["tensors"] = static_cast<double>(ema.size());
}
CUTRAIN_KERNEL_BENCH(ema, "EmaInceptionV3MultiTensor", ema_body, 1000, 1);

void norm_body(benchmark::State& state, BenchDevice& dev) {
  Params p(dev, dev.cuda ? 1 : state.range(0));
  std::vector<const float*> g;
  std::vector<int64_t> sizes;
  for (const auto& s : p.slots) {
    g.push_back(s.grad);
    sizes.push_back(s.n);
  }
  const int count = static_cast<int>(g.size());
  double* ws = static_cast<double*>(dev.alloc(static_cast<std::size_t>(k::global_norm_workspace(sizes.data(), count)) * 8));
  float* out = static_cast<float*>(dev.alloc(4));
  cutrain::bench::time_launches(state, dev, 4.0 * p.elements(), [&] {
    CUTRAIN_BENCH_CALL(dev, global_norm, g.data(), sizes.data(), count, ws, out, dev.stream);
  });
  dev.free(ws);
  dev.free(out);
}
CUTRAIN_KERNEL_BENCH(norm, "GlobalNormInceptionV3", norm_body, 1000, 1);

}  // namespace
