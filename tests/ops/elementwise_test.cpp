// Elementwise family: forward against the math, gradients against central differences.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {
Tensor random(const Shape& s, uint64_t seed, double lo = -2, double hi = 2) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t;
}
}  // namespace

TEST(Elementwise, UnaryForwardMatchesMath) {
  const Tensor x = random({3, 5, 7}, 11);
  auto y = ops::call("sigmoid", {x})[0];
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_DOUBLE_EQ(y.flat(i), 1 / (1 + std::exp(-x.flat(i))));
  y = ops::call("leaky_relu", {x}, {{"alpha", 0.3}})[0];
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_DOUBLE_EQ(y.flat(i), x.flat(i) > 0 ? x.flat(i) : 0.3 * x.flat(i));
}

TEST(Elementwise, BroadcastAddAndSumTo) {
  const Tensor a = random({4, 3}, 1), b = random({3}, 2);
  const Tensor y = ops::call("add", {a, b})[0];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(y.at({i, j}), a.at({i, j}) + b.at({j}));
  const Tensor s = ops::call("sum_to", {a}, {{"shape", std::vector<int64_t>{3}}})[0];
  for (int j = 0; j < 3; ++j) {
    double e = 0;
    for (int i = 0; i < 4; ++i) e += a.at({i, j});
    EXPECT_NEAR(s.at({j}), e, 1e-14);
  }
  EXPECT_THROW(ops::call("add", {random({4, 3}, 1), random({2}, 1)}), Error);
}

class ElementwiseGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ElementwiseGrad, UnaryOps) {
  const uint64_t seed = GetParam();
  for (const char* op : {"relu", "sigmoid", "tanh", "square", "exp", "neg"}) {
    auto r = graph::check_op_gradients(op, {random({3, 5, 7}, seed)}, {}, {.seed = seed});
    EXPECT_TRUE(r.ok) << op << "\n" << r.detail;
  }
  auto r = graph::check_op_gradients("leaky_relu", {random({7, 5}, seed)}, {{"alpha", 0.2}}, {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  for (const char* op : {"log", "sqrt"}) {
    auto p = graph::check_op_gradients(op, {random({5, 3}, seed, 0.5, 3.0)}, {}, {.seed = seed});
    EXPECT_TRUE(p.ok) << op << "\n" << p.detail;
  }
}

TEST_P(ElementwiseGrad, BinaryOpsWithBroadcast) {
  const uint64_t seed = GetParam();
  for (const char* op : {"add", "sub", "mul"}) {
    auto r = graph::check_op_gradients(op, {random({3, 5}, seed), random({5}, seed + 1)}, {}, {.seed = seed});
    EXPECT_TRUE(r.ok) << op << "\n" << r.detail;
    EXPECT_LE(r.max_rel_error_inputs, 1e-6);
  }
  auto r = graph::check_op_gradients("div", {random({3, 5}, seed), random({3, 1}, seed + 1, 0.5, 2.0)}, {},
                                     {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
}

INSTANTIATE_TEST_SUITE_P(Seeds, ElementwiseGrad, ::testing::Values(1u, 2u, 3u));

TEST(Autodiff, SumsGradientsOfReusedValues) {
  // L = sum(x*x + x) via mul/add; dL/dx = 2x + 1.
  graph::Graph g;
  const Tensor x0 = random({2, 3}, 5);
  auto x = g.parameter("x", x0);
  auto y = graph::add(graph::mul(x, x), x);
  auto loss = graph::sum_to(y, Shape{});
  auto grads = graph::gradients(g, loss, {x});
  graph::Executor ex(g, Device::cpu());
  auto out = ex.run(std::map<int, Tensor>{}, {grads[0]}, graph::kTraining);
  for (int64_t i = 0; i < x0.numel(); ++i) EXPECT_NEAR(out[0].flat(i), 2 * x0.flat(i) + 1, 1e-14);
}

TEST(Autodiff, MissingGradientNamesOpAndParameter) {
  ops::OpSchema s;
  s.name = "test_no_grad_op";
  s.infer = [](const ops::Attrs&, const std::vector<ops::TensorSpec>& in) { return std::vector{in[0]}; };
  ops::OpRegistry::global().add(s);
  graph::Graph g;
  auto w = g.parameter("W", random({3}, 1));
  auto loss = graph::sum_to(g.apply1("test_no_grad_op", {w}), Shape{});
  try {
    graph::gradients(g, loss, {w});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no gradient registered for op 'test_no_grad_op' (needed for dsum_to/dW)"),
              std::string::npos)
        << e.what();
  }
}
