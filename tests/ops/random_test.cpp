// random_normal: moments of a large sample, the sampling rule written out
// independently, reproducibility per (seed, step) and fresh numbers per step,
// no gradient through the sample.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/core/philox.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/random.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {
Tensor sample(int64_t n, DType dt, uint64_t seed, uint64_t step, double mean = 0, double stddev = 1) {
  const ops::Attrs a{{"shape", std::vector<int64_t>{n}},
                     {"dtype", std::string(dtype_name(dt))},
                     {"mean", mean},
                     {"stddev", stddev}};
  return ops::call("random_normal", {}, a, true, seed, step)[0];
}
}  // namespace

TEST(RandomNormal, MomentsWithinFiveStandardErrors) {
  const int64_t n = 200000;
  const Tensor t = sample(n, DType::f64, 7, 3, 1.5, 2.0);
  double s = 0, s2 = 0;
  for (double v : t.to_vector()) {
    s += v;
    s2 += v * v;
  }
  const double mean = s / n, var = s2 / n - mean * mean;
  EXPECT_NEAR(mean, 1.5, 5 * 2.0 / std::sqrt(double(n)));
  // var of the sample variance of a normal: 2 sigma^4 / n.
  EXPECT_NEAR(var, 4.0, 5 * std::sqrt(2.0 * 16.0 / n));
}

// The rule of cutrain/cpu/random.h, written here from its description.
TEST(RandomNormal, FollowsTheDocumentedPhiloxBoxMullerRule) {
  const uint64_t seed = 0x1234567890ull, step = 11;
  const Tensor t = sample(37, DType::f64, seed, step, 0.25, 3.0);
  for (int64_t i = 0; i < 37; ++i) {
    const Philox4x32 r = philox4x32(static_cast<uint64_t>(i), step, seed);
    const double u1 = (double(((uint64_t(r.v[0]) << 21) ^ (r.v[1] >> 11)) & ((1ull << 53) - 1)) + 1.0) / 9007199254740992.0;
    const double u2 = (double(((uint64_t(r.v[2]) << 21) ^ (r.v[3] >> 11)) & ((1ull << 53) - 1)) + 1.0) / 9007199254740992.0;
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    EXPECT_NEAR(t.flat(i), 0.25 + 3.0 * z, 1e-14) << i;
  }
  // float is the double sample rounded.
  const Tensor f = sample(37, DType::f32, seed, step, 0.25, 3.0);
  for (int64_t i = 0; i < 37; ++i) EXPECT_EQ(f.flat(i), double(static_cast<float>(t.flat(i))));
}

TEST(RandomNormal, SameSeedAndStepRepeatOthersDiffer) {
  const Tensor a = sample(64, DType::f32, 5, 2);
  EXPECT_EQ(max_abs_diff(a, sample(64, DType::f32, 5, 2)), 0.0);
  EXPECT_GT(max_abs_diff(a, sample(64, DType::f32, 5, 3)), 0.1);
  EXPECT_GT(max_abs_diff(a, sample(64, DType::f32, 6, 2)), 0.1);
  // A prefix does not depend on the size.
  EXPECT_EQ(max_abs_diff(a.slice(0, 0, 10), sample(10, DType::f32, 5, 2)), 0.0);
}

TEST(RandomNormal, ReparameterisationGradientSkipsTheSample) {
  // y = sum(mu + s * eps): dy/dmu = 1, dy/ds = eps (the sample, not a gradient through it).
  graph::Graph g(9);
  Tensor mu0 = Tensor::empty({2, 3}, DType::f64);
  mu0.uniform(-1, 1, 1);
  const graph::Value mu = g.parameter("mu", mu0);
  const graph::Value s = g.parameter("s", Tensor::full({2, 3}, DType::f64, 0.5));
  const graph::Value eps = graph::random_normal(g, Shape{2, 3}, DType::f64);
  const graph::Value y = graph::sum(graph::add(mu, graph::mul(s, eps)));
  const auto grads = graph::gradients(g, y, {mu, s});
  graph::Executor ex(g, Device::cpu());
  ex.set_steps(4);
  const auto out = ex.run(std::vector<std::pair<graph::Value, Tensor>>{}, {eps, grads[0], grads[1]}, graph::kTraining);
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(out[1].flat(i), 1.0);
    EXPECT_EQ(out[2].flat(i), out[0].flat(i));
  }
  EXPECT_GT(std::abs(out[0].flat(0)) + std::abs(out[0].flat(1)), 0.0);
  // The graph's node seed and the executor step decide the sample.
  const Tensor expect = ops::call("random_normal", {}, g.node(eps.node).attrs, true,
                                  graph::node_seed(9, eps.node), 4)[0];
  EXPECT_EQ(max_abs_diff(out[0], expect), 0.0);
}
