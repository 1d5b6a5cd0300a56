// Softmax and log-softmax: forward against the formula, stability with huge
// logits, gradients (first and second order) against central differences.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/graph/gradcheck.h"
#include "cutrain/ops/op.h"
#include "cutrain/ops/softmax.h"

using namespace cutrain;

namespace {
Tensor random(const Shape& s, uint64_t seed, double lo = -3, double hi = 3) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t;
}
}  // namespace

TEST(Softmax, ForwardMatchesFormula) {
  const Tensor x = random({3, 5, 7}, 3);
  const Tensor y = ops::call("softmax", {x})[0];
  const Tensor ly = ops::call("log_softmax", {x})[0];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j) {
      double z = 0;
      for (int k = 0; k < 7; ++k) z += std::exp(x.at({i, j, k}));
      for (int k = 0; k < 7; ++k) {
        EXPECT_NEAR(y.at({i, j, k}), std::exp(x.at({i, j, k})) / z, 1e-12);
        EXPECT_NEAR(ly.at({i, j, k}), x.at({i, j, k}) - std::log(z), 1e-12);
      }
    }
}

TEST(Softmax, LargeLogitsStayFinite) {
  const Tensor x = Tensor::from_vector({2, 3}, {1000, 1001, 1002, -1000, -1001, -1002}, DType::f32);
  const Tensor y = ops::call("softmax", {x})[0];
  const Tensor ly = ops::call("log_softmax", {x})[0];
  // The row [0, 1, 2] shifted by 1000 has the same softmax.
  const double z = 1 + std::exp(1.0) + std::exp(2.0), z2 = 1 + std::exp(-1.0) + std::exp(-2.0);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(y.at({0, k}), std::exp(double(k)) / z, 1e-6);
    EXPECT_NEAR(ly.at({0, k}), double(k) - std::log(z), 1e-5);
    EXPECT_NEAR(y.at({1, k}), std::exp(-double(k)) / z2, 1e-6);
    EXPECT_TRUE(std::isfinite(ly.at({1, k})));
  }
}

TEST(Softmax, SingleElementRowsAreOne) {
  const Tensor y = ops::call("softmax", {random({4, 1}, 2)})[0];
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y.flat(i), 1.0);
}

TEST(Softmax, GradOpsMatchFormula) {
  const Tensor x = random({4, 6}, 8), dy = random({4, 6}, 9);
  const Tensor y = ops::call("softmax", {x})[0];
  const Tensor ly = ops::call("log_softmax", {x})[0];
  const Tensor dx = ops::call("softmax_grad", {dy, y})[0];
  const Tensor ldx = ops::call("log_softmax_grad", {dy, ly})[0];
  for (int i = 0; i < 4; ++i) {
    // Jacobians: d softmax_k / d x_j = y_k (δ_kj - y_j); d logsm_k / d x_j = δ_kj - y_j.
    for (int j = 0; j < 6; ++j) {
      double e = 0, le = 0;
      for (int k = 0; k < 6; ++k) {
        e += dy.at({i, k}) * y.at({i, k}) * ((k == j) - y.at({i, j}));
        le += dy.at({i, k}) * ((k == j) - y.at({i, j}));
      }
      EXPECT_NEAR(dx.at({i, j}), e, 1e-12);
      EXPECT_NEAR(ldx.at({i, j}), le, 1e-12);
    }
  }
}

TEST(Softmax, RejectsScalarAndMismatchedGrad) {
  EXPECT_THROW(ops::call("softmax", {Tensor::zeros(Shape{}, DType::f64)}), Error);
  try {
    ops::call("softmax_grad", {random({2, 3}, 1), random({3, 2}, 1)});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("softmax_grad"), std::string::npos) << e.what();
  }
}

class SoftmaxGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SoftmaxGrad, ForwardOps) {
  const uint64_t seed = GetParam();
  for (const char* op : {"softmax", "log_softmax"})
    for (const Shape& s : {Shape{3, 5, 7}, Shape{4, 1}, Shape{1, 9}, Shape{5}}) {
      auto r = graph::check_op_gradients(op, {random(s, seed)}, {}, {.seed = seed});
      EXPECT_TRUE(r.ok) << op << " " << s.str() << "\n" << r.detail;
      EXPECT_LE(r.max_rel_error_inputs, 1e-6);
    }
}

TEST_P(SoftmaxGrad, GradOpsSecondOrder) {
  const uint64_t seed = GetParam();
  const Tensor x = random({3, 5, 7}, seed + 10);
  const Tensor dy = random({3, 5, 7}, seed + 20);
  const Tensor y = ops::call("softmax", {x})[0];
  const Tensor ly = ops::call("log_softmax", {x})[0];
  auto r = graph::check_op_gradients("softmax_grad", {dy, y}, {}, {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_LE(r.max_rel_error_inputs, 1e-6);
  r = graph::check_op_gradients("log_softmax_grad", {dy, ly}, {}, {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_LE(r.max_rel_error_inputs, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SoftmaxGrad, ::testing::Values(1u, 2u, 3u));
