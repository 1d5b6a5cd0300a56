// Ops with a CUDA kernel against the CPU reference on the same inputs
// (fp32: rtol 1e-5 for elementwise, 1e-4 for products; fp64: 1e-12),
// including gradients through a graph run on the GPU; typed over float and
// double.
#include <gtest/gtest.h>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/ops/op.h"
#include "op_compare.h"

using namespace cutrain;

using cutrain::testing::compare_op;
using cutrain::testing::expect_close;

CUTRAIN_BACKEND_TEST_SUITE(CudaOps);

TYPED_TEST(CudaOps, ReluForwardAndGradMatchCpu) {
  for (int64_t n : {1, 31, 32, 33, 255, 256, 257, 100003}) {
    const Tensor x = this->random({n}, static_cast<uint64_t>(n));
    compare_op("relu", {x}, {}, 0, 0);
    compare_op("relu_grad", {this->random({n}, 7), ops::call("relu", {x})[0]}, {}, 0, 0);
  }
}

TYPED_TEST(CudaOps, MatmulAllTransposesMatchCpu) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "transpose_a " << ta << " transpose_b " << tb);
      const int64_t m = 33, k = 257, n = 31;
      const Tensor a = this->random(ta ? Shape{k, m} : Shape{m, k}, 1),
                   b = this->random(tb ? Shape{n, k} : Shape{k, n}, 2);
      compare_op("matmul", {a, b}, {{"transpose_a", ta}, {"transpose_b", tb}},
                 this->tol(1e-5, 1e-12), this->tol(1e-4, 1e-12));
    }
}

TYPED_TEST(CudaOps, DenseReluStepThroughTheExecutorMatchesCpu) {
  // Forward relu(x·w) and the weight gradient xᵀ·relu_grad(dy, y), run by the
  // executor on each device.
  graph::Graph g(3);
  auto x = g.input("x", {Shape{16, 64}, this->dtype});
  auto dy = g.input("dy", {Shape{16, 32}, this->dtype});
  auto w = g.parameter("w", this->random({64, 32}, 4));
  auto y = graph::relu(graph::matmul(x, w));
  auto dw = graph::matmul(x, g.apply1("relu_grad", {dy, y}), /*transpose_a=*/true);
  const Tensor xv = this->random({16, 64}, 5), dyv = this->random({16, 32}, 6);
  graph::Executor cpu(g, Device::cpu()), gpu(g, Device::cuda(0));
  const auto ref = cpu.run({{x, xv}, {dy, dyv}}, {y, dw}, graph::kTraining);
  auto got = gpu.run({{x, xv}, {dy, dyv}}, {y, dw}, graph::kTraining);
  const Stream s = gpu.stream();
  const double atol = this->tol(1e-5, 1e-12), rtol = this->tol(1e-4, 1e-12);
  expect_close(got[0].to(Device::cpu(), s), ref[0], atol, rtol, "forward");
  expect_close(got[1].to(Device::cpu(), s), ref[1], atol, rtol, "dW");
}
