// sgemm through the matmul op (inference, allocation, stream dispatch) versus
// raw cblas_sgemm, at the Inception V3 logits layer: x [32, 2048] · Wᵀ with
// W [1001, 2048] (transpose_b, as dense uses it). The gap is the op's overhead.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <vector>

#include "cutrain/bench/counters.h"
#include "cutrain/core/tensor.h"
#include "cutrain/ops/op.h"

namespace {

constexpr int64_t kBatch = 32, kIn = 2048, kOut = 1001;

void set_counters(benchmark::State& state) {
  const double flops = 2.0 * kBatch * kIn * kOut;
  cutrain::bench::report_work(state, 0, flops);
  state.counters["GFLOP"] = flops / 1e9;
}

void BM_MatmulOp(benchmark::State& state) {
  using namespace cutrain;
  Tensor x = Tensor::empty({kBatch, kIn}, DType::f32), w = Tensor::empty({kOut, kIn}, DType::f32);
  x.uniform(-1, 1, 1);
  w.uniform(-1, 1, 2);
  const ops::Attrs attrs{{"transpose_a", false}, {"transpose_b", true}};
  for (auto _ : state) {
    auto y = ops::call("matmul", {x, w}, attrs);
    benchmark::DoNotOptimize(y[0].raw_data());
  }
  set_counters(state);
}

void BM_RawSgemm(benchmark::State& state) {
  std::vector<float> x(kBatch * kIn), w(kOut * kIn), y(kBatch * kOut);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 17) * 0.01f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 13) * 0.01f;
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kBatch, kOut, kIn, 1.0f, x.data(), kIn, w.data(),
                kIn, 0.0f, y.data(), kOut);
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(state);
}

}  // namespace

BENCHMARK(BM_MatmulOp)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_RawSgemm)->Unit(benchmark::kMicrosecond)->UseRealTime();
