// L2 weight decay: slim's weight_decay * sum(w^2) / 2 and its gradient.
#include <gtest/gtest.h>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/regularizers.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {
Tensor random(const Shape& s, uint64_t seed) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(-2, 2, seed);
  return t;
}
}  // namespace

TEST(L2Loss, ValueIsHalfDecayTimesSumOfSquares) {
  const Tensor w = Tensor::from_vector({2, 3}, {1, -2, 3, 0.5, 0, -1}, DType::f64);
  const Tensor out = ops::call("l2_loss", {w}, {{"weight_decay", 4e-5}})[0];
  EXPECT_EQ(out.shape(), Shape{});
  EXPECT_DOUBLE_EQ(out.item(), 4e-5 * (1 + 4 + 9 + 0.25 + 0 + 1) / 2);
  const Tensor out32 = ops::call("l2_loss", {w.to(DType::f32)}, {{"weight_decay", 0.5}})[0];
  EXPECT_EQ(out32.dtype(), DType::f32);
  EXPECT_FLOAT_EQ(static_cast<float>(out32.item()), 0.5f * 15.25f / 2);
}

TEST(L2Loss, GradientIsDecayTimesWeight) {
  graph::Graph g;
  const Tensor w0 = random({3, 5}, 4);
  auto w = g.parameter("w", w0);
  auto grads = graph::gradients(g, graph::l2_loss(w, 0.01), {w});
  graph::Executor ex(g, Device::cpu());
  const auto out = ex.run(std::map<int, Tensor>{}, {grads[0]}, graph::kTraining);
  for (int64_t i = 0; i < w0.numel(); ++i) EXPECT_DOUBLE_EQ(out[0].flat(i), 0.01 * w0.flat(i));
}

class L2LossGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(L2LossGrad, MatchesCentralDifferences) {
  const uint64_t seed = GetParam();
  for (const Shape& s : {Shape{7}, Shape{3, 5, 7}, Shape{5, 1, 3, 3}}) {
    for (double wd : {1.0, 4e-5}) {
      const auto r = graph::check_op_gradients("l2_loss", {random(s, seed)}, {{"weight_decay", wd}}, {.seed = seed});
      EXPECT_TRUE(r.ok) << s.str() << "\n" << r.detail;
      EXPECT_LE(r.max_rel_error_inputs, 1e-6);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, L2LossGrad, ::testing::Values(1u, 2u, 3u));
