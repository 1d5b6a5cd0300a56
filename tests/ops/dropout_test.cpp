// Dropout: keep rate statistics, the mask rule, reproducibility across runs
// and steps, eval identity, gradients with a fixed mask.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/core/philox.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/dropout.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/ops/elementwise.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {
Tensor random(const Shape& s, uint64_t seed, DType dt = DType::f64) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(0.5, 2, seed);  // away from 0, so a dropped element is visible in y
  return dt == DType::f64 ? t : t.to(dt);
}
std::vector<Tensor> run_dropout(const Tensor& x, double rate, uint64_t seed, uint64_t step,
                                bool training = true) {
  return ops::call("dropout", {x}, {{"rate", rate}}, training, seed, step);
}
bool same_mask(const Tensor& a, const Tensor& b) {
  const uint8_t *pa = a.data<uint8_t>(), *pb = b.data<uint8_t>();
  for (int64_t i = 0; i < a.numel(); ++i)
    if (pa[i] != pb[i]) return false;
  return true;
}
}  // namespace

TEST(Dropout, KeptFractionWithinThreeSigma) {
  const int64_t n = 100000;
  const Tensor x = random({n}, 1, DType::f32);
  for (double rate : {0.1, 0.5, 0.8}) {
    const auto out = run_dropout(x, rate, 1234, 7);
    ASSERT_EQ(out[1].dtype(), DType::u8);
    const uint8_t* m = out[1].data<uint8_t>();
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) kept += m[i];
    const double keep = 1 - rate, sigma = std::sqrt(n * keep * rate);
    EXPECT_LE(std::fabs(static_cast<double>(kept) - n * keep), 3 * sigma) << "rate " << rate;
  }
}

TEST(Dropout, OutputIsInputTimesMaskOverKeep) {
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor x = random({3, 5, 7}, 2, dt);
    const auto out = run_dropout(x, 0.3, 99, 4);
    const uint8_t* m = out[1].data<uint8_t>();
    int64_t dropped = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      ASSERT_TRUE(m[i] == 0 || m[i] == 1);
      dropped += m[i] == 0;
      const double e = m[i] ? x.flat(i) / 0.7 : 0.0;
      EXPECT_NEAR(out[0].flat(i), e, dt == DType::f64 ? 1e-15 : 1e-6);
    }
    EXPECT_GT(dropped, 0);
    EXPECT_LT(dropped, x.numel());
  }
}

// The rule stated in cutrain/cpu/dropout.h, written here independently from
// the uniform it describes: element i is kept iff u_i < 1 - rate.
TEST(Dropout, MaskFollowsThePhiloxRule) {
  const Tensor x = random({1001}, 3);
  const uint64_t seed = 0xDEADBEEFCAFEull, step = 12345;
  const auto out = run_dropout(x, 0.25, seed, step);
  const uint8_t* m = out[1].data<uint8_t>();
  for (uint64_t i = 0; i < 1001; ++i) {
    const Philox4x32 r = philox4x32(i / 4, step, seed);
    const double u = philox_uniform(r.v[i % 4]);
    EXPECT_EQ(m[i], u < 0.75 ? 1 : 0) << i;
  }
}

TEST(Dropout, SameSeedAndStepReproduceOtherwiseFresh) {
  const Tensor x = random({4096}, 4);
  const auto a = run_dropout(x, 0.5, 42, 3);
  const auto b = run_dropout(x, 0.5, 42, 3);
  EXPECT_TRUE(same_mask(a[1], b[1]));
  EXPECT_EQ(max_abs_diff(a[0], b[0]), 0.0);
  EXPECT_FALSE(same_mask(a[1], run_dropout(x, 0.5, 42, 4)[1]));
  EXPECT_FALSE(same_mask(a[1], run_dropout(x, 0.5, 43, 3)[1]));
  // The same mask for f32 and f64 inputs: it depends on the position only.
  EXPECT_TRUE(same_mask(a[1], run_dropout(x.to(DType::f32), 0.5, 42, 3)[1]));
}

TEST(Dropout, EvalIsIdentity) {
  const Tensor x = random({3, 5, 7}, 5);
  const auto out = run_dropout(x, 0.6, 42, 3, /*training=*/false);
  EXPECT_EQ(max_abs_diff(out[0], x), 0.0);
  const uint8_t* m = out[1].data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(m[i], 1);
  const Tensor dy = random({3, 5, 7}, 6);
  const Tensor dx = ops::call("dropout_grad", {dy, out[1]}, {{"rate", 0.6}}, /*training=*/false)[0];
  EXPECT_EQ(max_abs_diff(dx, dy), 0.0);
}

TEST(Dropout, RateZeroKeepsEverythingAndBadRatesAreRejected) {
  const Tensor x = random({100}, 7);
  EXPECT_EQ(max_abs_diff(run_dropout(x, 0.0, 1, 1)[0], x), 0.0);
  for (double bad : {1.0, -0.1, 1.5}) {
    try {
      run_dropout(x, bad, 1, 1);
      FAIL() << "expected an error for rate " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("op 'dropout'"), std::string::npos) << e.what();
    }
  }
}

class DropoutGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(DropoutGrad, FixedMaskIsExact) {
  const uint64_t seed = GetParam();
  for (double rate : {0.3, 0.5}) {
    auto r = graph::check_op_gradients("dropout", {random({3, 5, 7}, seed)}, {{"rate", rate}}, {.seed = seed});
    EXPECT_TRUE(r.ok) << r.detail;
    EXPECT_LE(r.max_rel_error_inputs, 1e-6);
  }
  const Tensor mask = run_dropout(random({3, 5, 7}, seed), 0.4, seed, 0)[1];
  auto r = graph::check_op_gradients("dropout_grad", {random({3, 5, 7}, seed + 1), mask}, {{"rate", 0.4}},
                                     {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_LE(r.max_rel_error_inputs, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DropoutGrad, ::testing::Values(1u, 2u, 3u));

// In a graph the backward uses the forward's mask of the same run, and each
// executor step draws a new mask.
TEST(Dropout, BackwardUsesTheSameRunsMaskAndStepsDiffer) {
  graph::Graph g(/*seed=*/17);
  const Tensor x0 = random({2000}, 8);
  auto x = g.parameter("x", x0);
  auto y = graph::dropout(x, 0.5);
  const graph::Value mask{&g, y.node, 1};
  auto loss = graph::sum(y);
  auto dx = graph::gradients(g, loss, {x})[0];
  graph::Executor ex(g, Device::cpu());
  auto first = ex.run(std::map<int, Tensor>{}, {mask, dx}, graph::kTraining);
  auto second = ex.run(std::map<int, Tensor>{}, {mask, dx}, graph::kTraining);
  for (const auto& out : {first, second}) {
    const uint8_t* m = out[0].data<uint8_t>();
    for (int64_t i = 0; i < x0.numel(); ++i) ASSERT_EQ(out[1].flat(i), m[i] ? 2.0 : 0.0) << i;
  }
  EXPECT_FALSE(same_mask(first[0], second[0]));
}
