// Matmul and dense: forward against naive loops for every transpose flag,
// gradients against central differences, errors that name both shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {
Tensor random(const Shape& s, uint64_t seed, DType dt = DType::f64) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(-1, 1, seed);
  return dt == DType::f64 ? t : t.to(dt);
}
ops::Attrs flags(bool ta, bool tb) { return {{"transpose_a", ta}, {"transpose_b", tb}}; }

// op(a)[m, k] and op(b)[k, n] read straight from the stored layouts.
double a_at(const Tensor& a, bool ta, int64_t m, int64_t k) { return ta ? a.at({k, m}) : a.at({m, k}); }
double b_at(const Tensor& b, bool tb, int64_t k, int64_t n) { return tb ? b.at({n, k}) : b.at({k, n}); }

void expect_matches_loops(DType dt, double tol) {
  const int64_t M = 5, K = 7, N = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Tensor a = random(ta ? Shape{K, M} : Shape{M, K}, 1, dt);
      const Tensor b = random(tb ? Shape{N, K} : Shape{K, N}, 2, dt);
      const Tensor y = ops::call("matmul", {a, b}, flags(ta, tb))[0];
      ASSERT_EQ(y.shape(), Shape({M, N}));
      ASSERT_EQ(y.dtype(), dt);
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          double e = 0;
          for (int64_t k = 0; k < K; ++k) e += a_at(a, ta, m, k) * b_at(b, tb, k, n);
          EXPECT_NEAR(y.at({m, n}), e, tol) << "ta " << ta << " tb " << tb;
        }
    }
}
}  // namespace

TEST(Matmul, DoubleMatchesLoopsForEveryFlag) { expect_matches_loops(DType::f64, 1e-12); }
TEST(Matmul, FloatMatchesLoopsForEveryFlag) { expect_matches_loops(DType::f32, 1e-5); }

TEST(Matmul, LeadingDimsFoldIntoRows) {
  const Tensor a = random({3, 5, 7}, 3), b = random({4, 7}, 4);
  const Tensor y = ops::call("matmul", {a, b}, flags(false, true))[0];
  ASSERT_EQ(y.shape(), Shape({3, 5, 4}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j)
      for (int n = 0; n < 4; ++n) {
        double e = 0;
        for (int k = 0; k < 7; ++k) e += a.at({i, j, k}) * b.at({n, k});
        EXPECT_NEAR(y.at({i, j, n}), e, 1e-12);
      }
}

TEST(Matmul, KMismatchNamesBothShapes) {
  try {
    ops::call("matmul", {random({3, 5}, 1), random({4, 7}, 2)});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("op 'matmul'"), std::string::npos) << m;
    EXPECT_NE(m.find("[3, 5]"), std::string::npos) << m;
    EXPECT_NE(m.find("[4, 7]"), std::string::npos) << m;
  }
  EXPECT_THROW(ops::call("matmul", {random({3, 5}, 1), random({5}, 2)}), Error);
  EXPECT_THROW(ops::call("matmul", {random({2, 3, 5}, 1), random({3, 4}, 2)}, flags(true, false)), Error);
  EXPECT_THROW(ops::call("matmul", {random({3, 5}, 1), random({5, 2}, 2, DType::f32)}), Error);
}

class MatmulGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(MatmulGrad, EveryFlagAndBatched) {
  const uint64_t seed = GetParam();
  const int64_t M = 3, K = 5, N = 7;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Tensor a = random(ta ? Shape{K, M} : Shape{M, K}, seed);
      const Tensor b = random(tb ? Shape{N, K} : Shape{K, N}, seed + 100);
      auto r = graph::check_op_gradients("matmul", {a, b}, flags(ta, tb), {.seed = seed});
      EXPECT_TRUE(r.ok) << "ta " << ta << " tb " << tb << "\n" << r.detail;
      EXPECT_LE(r.max_rel_error_inputs, 1e-6);
    }
  for (bool tb : {false, true}) {
    const Tensor a = random({2, 3, 5}, seed + 7);
    const Tensor b = random(tb ? Shape{1, 5} : Shape{5, 1}, seed + 8);
    auto r = graph::check_op_gradients("matmul", {a, b}, flags(false, tb), {.seed = seed});
    EXPECT_TRUE(r.ok) << "batched tb " << tb << "\n" << r.detail;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, MatmulGrad, ::testing::Values(1u, 2u, 3u));

// dense is a builder, so its gradients are checked through autodiff and the
// executor: L = sum(r * dense(x, w, b)) against central differences of L.
TEST(Dense, ForwardAndGradientsThroughGraph) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    graph::Graph g;
    const Tensor x0 = random({3, 5}, seed), w0 = random({7, 5}, seed + 1), b0 = random({7}, seed + 2);
    const Tensor r0 = random({3, 7}, seed + 3);
    auto x = g.parameter("x", x0), w = g.parameter("w", w0), b = g.parameter("b", b0);
    auto y = graph::dense(x, w, b);
    ASSERT_EQ(y.shape(), Shape({3, 7}));
    auto loss = graph::sum(graph::mul(y, g.constant(r0, "r")));
    auto grads = graph::gradients(g, loss, {x, w, b});
    graph::Executor ex(g, Device::cpu());
    auto out = ex.run(std::map<int, Tensor>{}, {y, grads[0], grads[1], grads[2]}, graph::kTraining);
    for (int n = 0; n < 3; ++n)
      for (int o = 0; o < 7; ++o) {
        double e = b0.at({o});
        for (int i = 0; i < 5; ++i) e += x0.at({n, i}) * w0.at({o, i});
        EXPECT_NEAR(out[0].at({n, o}), e, 1e-12);
      }
    const std::vector<graph::Value> params = {x, w, b};
    for (size_t p = 0; p < params.size(); ++p) {
      Tensor& t = ex.leaf(params[p]);
      double max_diff = 0, max_mag = 0;
      for (int64_t i = 0; i < t.numel(); ++i) {
        const double v = t.flat(i), h = 1e-6;
        t.set_flat(i, v + h);
        const double fp = ex.run(std::map<int, Tensor>{}, {loss}, graph::kTraining)[0].item();
        t.set_flat(i, v - h);
        const double fm = ex.run(std::map<int, Tensor>{}, {loss}, graph::kTraining)[0].item();
        t.set_flat(i, v);
        const double numeric = (fp - fm) / (2 * h), analytic = out[1 + p].flat(i);
        max_diff = std::max(max_diff, std::fabs(numeric - analytic));
        max_mag = std::max({max_mag, std::fabs(numeric), std::fabs(analytic)});
      }
      EXPECT_LE(max_diff / max_mag, 1e-6) << "param " << p << " seed " << seed;
    }
  }
}

TEST(Dense, WithoutBias) {
  graph::Graph g;
  const Tensor x0 = random({2, 4}, 5), w0 = random({3, 4}, 6);
  auto y = graph::dense(g.constant(x0), g.constant(w0));
  graph::Executor ex(g, Device::cpu());
  const Tensor out = ex.run(std::map<int, Tensor>{}, {y}, graph::kTraining)[0];
  for (int n = 0; n < 2; ++n)
    for (int o = 0; o < 3; ++o) {
      double e = 0;
      for (int i = 0; i < 4; ++i) e += x0.at({n, i}) * w0.at({o, i});
      EXPECT_NEAR(out.at({n, o}), e, 1e-12);
    }
}
