// Ops with a CUDA kernel against the CPU reference on the same inputs
// (fp32: rtol 1e-5 for elementwise, 1e-4 for products), including gradients
// through a graph run on the GPU.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/ops/op.h"
#include "gpu_test_util.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed, DType t = DType::f32) {
  Tensor x = Tensor::empty(s, t);
  x.uniform(-1, 1, seed);
  return x;
}

// max |got - ref| / (atol + rtol |ref|) <= 1 for every element.
void expect_close(const Tensor& got, const Tensor& ref, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  for (int64_t i = 0; i < ref.numel(); ++i)
    ASSERT_LE(std::fabs(got.flat(i) - ref.flat(i)), atol + rtol * std::fabs(ref.flat(i)))
        << what << " element " << i << " got " << got.flat(i) << " ref " << ref.flat(i);
}

std::vector<Tensor> on_gpu(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs = {}) {
  std::vector<Tensor> d;
  const Stream s = Stream::default_stream(Device::cuda(0));
  for (const Tensor& t : in) d.push_back(t.to(Device::cuda(0), s));
  std::vector<Tensor> out;
  for (const Tensor& t : ops::call(op, d, attrs)) out.push_back(t.to(Device::cpu(), s));
  return out;
}

}  // namespace

TEST(CudaOps, ReluForwardAndGradMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (int64_t n : {1, 31, 32, 33, 255, 256, 257, 100003}) {
    const Tensor x = random({n}, static_cast<uint64_t>(n));
    expect_close(on_gpu("relu", {x})[0], ops::call("relu", {x})[0], 0, 0, "relu");
    const Tensor dy = random({n}, 7), y = ops::call("relu", {x})[0];
    expect_close(on_gpu("relu_grad", {dy, y})[0], ops::call("relu_grad", {dy, y})[0], 0, 0, "relu_grad");
  }
}

TEST(CudaOps, MatmulAllTransposesMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int64_t m = 33, k = 257, n = 31;
      const Tensor a = random(ta ? Shape{k, m} : Shape{m, k}, 1), b = random(tb ? Shape{n, k} : Shape{k, n}, 2);
      const ops::Attrs at{{"transpose_a", ta}, {"transpose_b", tb}};
      expect_close(on_gpu("matmul", {a, b}, at)[0], ops::call("matmul", {a, b}, at)[0], 1e-5, 1e-4, "matmul");
      const Tensor a64 = a.to(DType::f64), b64 = b.to(DType::f64);
      expect_close(on_gpu("matmul", {a64, b64}, at)[0], ops::call("matmul", {a64, b64}, at)[0], 1e-12, 1e-12,
                   "matmul f64");
    }
}

TEST(CudaOps, DenseReluStepThroughTheExecutorMatchesCpu) {
  CUTRAIN_REQUIRE_GPU();
  // Forward relu(x·w) and the weight gradient xᵀ·relu_grad(dy, y), run by the
  // executor on each device.
  graph::Graph g(3);
  auto x = g.input("x", {Shape{16, 64}, DType::f32});
  auto dy = g.input("dy", {Shape{16, 32}, DType::f32});
  auto w = g.parameter("w", random({64, 32}, 4));
  auto y = graph::relu(graph::matmul(x, w));
  auto dw = graph::matmul(x, g.apply1("relu_grad", {dy, y}), /*transpose_a=*/true);
  const Tensor xv = random({16, 64}, 5), dyv = random({16, 32}, 6);
  graph::Executor cpu(g, Device::cpu()), gpu(g, Device::cuda(0));
  const auto ref = cpu.run({{x, xv}, {dy, dyv}}, {y, dw}, graph::kTraining);
  auto got = gpu.run({{x, xv}, {dy, dyv}}, {y, dw}, graph::kTraining);
  const Stream s = gpu.stream();
  expect_close(got[0].to(Device::cpu(), s), ref[0], 1e-5, 1e-4, "forward");
  expect_close(got[1].to(Device::cpu(), s), ref[1], 1e-5, 1e-4, "dW");
}
