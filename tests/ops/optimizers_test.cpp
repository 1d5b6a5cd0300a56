// Optimizer updates against the published formulas, written out here in
// double (independently of the kernels' arrangement), over several steps.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t;
}

using Vec = std::vector<double>;

void expect_close(const Tensor& t, const Vec& expected, double tol, const std::string& what) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(expected.size()));
  for (int64_t i = 0; i < t.numel(); ++i)
    EXPECT_NEAR(t.flat(i), expected[static_cast<size_t>(i)], tol * std::max(1.0, std::fabs(expected[static_cast<size_t>(i)])))
        << what << " element " << i;
}

// A fresh gradient per step.
Tensor grad_at(int step, const Shape& s) { return random(s, 100 + static_cast<uint64_t>(step), -2, 2); }

}  // namespace

TEST(SgdUpdate, PlainMomentumNesterovAndWeightDecay) {
  const Shape shape{3, 5};
  struct Case {
    double momentum;
    bool nesterov;
    double wd;
  };
  for (const Case c : {Case{0.0, false, 0.0}, Case{0.0, false, 0.1}, Case{0.9, false, 0.0}, Case{0.9, true, 0.0},
                       Case{0.8, true, 0.05}}) {
    Tensor w = random(shape, 1), buf = Tensor::zeros(shape, DType::f64);
    Vec ew = w.to_vector(), eb(ew.size(), 0.0);
    const double lr = 0.1;
    const ops::Attrs a = ops::sgd_attrs({.lr = lr, .momentum = c.momentum, .nesterov = c.nesterov, .weight_decay = c.wd});
    for (int step = 0; step < 4; ++step) {
      const Tensor g = grad_at(step, shape);
      std::vector<Tensor> in{w, g};
      if (c.momentum > 0) in.push_back(buf);
      const auto out = ops::call("sgd_update", in, a);
      EXPECT_EQ(out[0].shape(), Shape{});
      // torch.optim.SGD: d = g + wd w; buf = d on the first step, then
      // mu buf + d; nesterov: d + mu buf, else buf.
      for (size_t i = 0; i < ew.size(); ++i) {
        double d = g.flat(static_cast<int64_t>(i)) + c.wd * ew[i];
        if (c.momentum > 0) {
          eb[i] = step == 0 ? d : c.momentum * eb[i] + d;
          d = c.nesterov ? d + c.momentum * eb[i] : eb[i];
        }
        ew[i] -= lr * d;
      }
      expect_close(w, ew, 1e-14, "w");
      if (c.momentum > 0) expect_close(buf, eb, 1e-14, "buf");
    }
  }
}

TEST(SgdUpdate, RejectsInconsistentSetups) {
  const Tensor w = random({4}, 1), g = random({4}, 2);
  EXPECT_THROW(ops::call("sgd_update", {w, g}, ops::sgd_attrs({.momentum = 0.9})), Error);
  EXPECT_THROW(ops::call("sgd_update", {w, g}, ops::sgd_attrs({.nesterov = true})), Error);
  EXPECT_THROW(ops::call("sgd_update", {w, random({5}, 2)}), Error);
}

TEST(RmsPropUpdate, TensorFlowSemanticsWithMomentum) {
  const Shape shape{7};
  for (double momentum : {0.0, 0.9}) {
    // Slots as TF1's RMSPropOptimizer creates them: ms ones, mom zeros.
    Tensor w = random(shape, 3), ms = Tensor::full(shape, DType::f64, 1.0), mom = Tensor::zeros(shape, DType::f64);
    Vec ew = w.to_vector(), ems(ew.size(), 1.0), emom(ew.size(), 0.0);
    const double lr = 0.01, decay = 0.9, eps = 1.0;  // the Inception recipe's epsilon
    const ops::Attrs a = ops::rmsprop_attrs({.lr = lr, .decay = decay, .momentum = momentum, .epsilon = eps});
    for (int step = 0; step < 5; ++step) {
      const Tensor g = grad_at(step, shape);
      ops::call("rmsprop_update", {w, g, ms, mom}, a);
      for (size_t i = 0; i < ew.size(); ++i) {
        const double gi = g.flat(static_cast<int64_t>(i));
        ems[i] = decay * ems[i] + (1 - decay) * gi * gi;
        emom[i] = momentum * emom[i] + lr * gi / std::sqrt(ems[i] + eps);
        ew[i] -= emom[i];
      }
      expect_close(w, ew, 1e-14, "w");
      expect_close(ms, ems, 1e-14, "ms");
      expect_close(mom, emom, 1e-14, "mom");
    }
  }
  // Epsilon sits inside the root: with ms 0 and g 0 nothing moves, and a tiny
  // epsilon with a large gradient gives steps of lr * g / sqrt(0.1 g^2).
  Tensor w = Tensor::zeros({1}, DType::f64), ms = Tensor::zeros({1}, DType::f64), mom = Tensor::zeros({1}, DType::f64);
  ops::call("rmsprop_update", {w, Tensor::full({1}, DType::f64, 3.0), ms, mom},
            ops::rmsprop_attrs({.lr = 1.0, .decay = 0.9, .epsilon = 0.0}));
  EXPECT_NEAR(w.flat(0), -3.0 / std::sqrt(0.9), 1e-15);
}

TEST(AdamUpdate, AdamAndAdamWOverSeveralSteps) {
  const Shape shape{2, 3};
  for (bool decoupled : {false, true}) {
    for (double wd : {0.0, 0.1}) {
      Tensor w = random(shape, 5), m = Tensor::zeros(shape, DType::f64), v = Tensor::zeros(shape, DType::f64);
      Vec ew = w.to_vector(), em(ew.size(), 0.0), ev(ew.size(), 0.0);
      const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      for (int t = 1; t <= 5; ++t) {
        const Tensor g = grad_at(t, shape);
        ops::call("adam_update", {w, g, m, v},
                  ops::adam_attrs({.lr = lr, .beta1 = b1, .beta2 = b2, .epsilon = eps, .step = t,
                                   .weight_decay = wd, .decoupled = decoupled}));
        for (size_t i = 0; i < ew.size(); ++i) {
          double gi = g.flat(static_cast<int64_t>(i));
          if (decoupled)
            ew[i] -= lr * wd * ew[i];
          else
            gi += wd * ew[i];
          em[i] = b1 * em[i] + (1 - b1) * gi;
          ev[i] = b2 * ev[i] + (1 - b2) * gi * gi;
          const double mhat = em[i] / (1 - std::pow(b1, t)), vhat = ev[i] / (1 - std::pow(b2, t));
          ew[i] -= lr * mhat / (std::sqrt(vhat) + eps);
        }
        expect_close(w, ew, 1e-13, "w");
        expect_close(m, em, 1e-14, "m");
        expect_close(v, ev, 1e-14, "v");
      }
    }
  }
  // The first Adam step moves every coordinate by about lr against its gradient's sign.
  Tensor w = Tensor::zeros({2}, DType::f64), m = Tensor::zeros({2}, DType::f64), v = Tensor::zeros({2}, DType::f64);
  ops::call("adam_update", {w, Tensor::from_vector({2}, {5.0, -0.01}, DType::f64), m, v}, ops::adam_attrs({.lr = 0.1}));
  EXPECT_NEAR(w.flat(0), -0.1, 1e-7);
  EXPECT_NEAR(w.flat(1), 0.1, 1e-5);
  EXPECT_THROW(ops::call("adam_update", {w, w, m, v}, ops::adam_attrs({.step = 0})), Error);
}

TEST(OptimizerUpdates, Float32TracksFloat64) {
  const Shape shape{33};
  Tensor w64 = random(shape, 9), m64 = Tensor::zeros(shape, DType::f64), v64 = Tensor::zeros(shape, DType::f64);
  Tensor w32 = w64.to(DType::f32), m32 = m64.to(DType::f32), v32 = v64.to(DType::f32);
  for (int t = 1; t <= 3; ++t) {
    const Tensor g = grad_at(t, shape);
    const ops::Attrs a = ops::adam_attrs({.step = t, .weight_decay = 0.01, .decoupled = true});
    ops::call("adam_update", {w64, g, m64, v64}, a);
    ops::call("adam_update", {w32, g.to(DType::f32), m32, v32}, a);
  }
  EXPECT_LT(max_abs_diff(w32.to(DType::f64), w64), 1e-6);
}

TEST(GlobalNorm, NormAndClipping) {
  const Tensor a = Tensor::from_vector({2}, {3.0, 0.0}, DType::f64);
  const Tensor b = Tensor::from_vector({1, 1}, {4.0}, DType::f64);
  const Tensor norm = ops::call("global_norm", {a, b})[0];
  EXPECT_EQ(norm.shape(), Shape{});
  EXPECT_DOUBLE_EQ(norm.item(), 5.0);
  // Norm above the clip: every gradient scaled by clip / norm.
  auto clipped = ops::call("clip_by_global_norm", {a, b, norm}, {{"clip_norm", 2.0}});
  ASSERT_EQ(clipped.size(), 2u);
  EXPECT_EQ(clipped[1].shape(), Shape({1, 1}));
  EXPECT_DOUBLE_EQ(clipped[0].flat(0), 3.0 * 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(clipped[1].flat(0), 4.0 * 2.0 / 5.0);
  // Norm at or below the clip: unchanged, bit for bit.
  for (double clip : {5.0, 7.5}) {
    clipped = ops::call("clip_by_global_norm", {a, b, norm}, {{"clip_norm", clip}});
    EXPECT_EQ(max_abs_diff(clipped[0], a), 0.0);
    EXPECT_EQ(max_abs_diff(clipped[1], b), 0.0);
  }
  // A non-finite norm poisons every output, as in TF.
  const Tensor inf = Tensor::full({}, DType::f64, std::numeric_limits<double>::infinity());
  clipped = ops::call("clip_by_global_norm", {a, b, inf}, {{"clip_norm", 1.0}});
  EXPECT_TRUE(std::isnan(clipped[0].flat(0)));
  EXPECT_THROW(ops::call("clip_by_global_norm", {a, b, a}, {{"clip_norm", 1.0}}), Error);
}

TEST(OptimizerGraph, BuildersUpdateEveryParameterWhenTokensAreFetched) {
  graph::Graph g;
  const Tensor w1 = random({3}, 1), w2 = random({2, 2}, 2), g1 = random({3}, 3), g2 = random({2, 2}, 4);
  auto p1 = g.parameter("w1", w1.clone()), p2 = g.parameter("w2", w2.clone());
  auto grads = graph::clip_by_global_norm({g.constant(g1, "g1"), g.constant(g2, "g2")}, 0.5);
  auto b1 = g.state("b1", Tensor::zeros({3}, DType::f64)), b2 = g.state("b2", Tensor::zeros({2, 2}, DType::f64));
  const auto tokens = graph::sgd_update({p1, p2}, grads, {b1, b2}, {.lr = 0.1, .momentum = 0.9});
  ASSERT_EQ(tokens.size(), 2u);
  graph::Executor ex(g, Device::cpu());
  ex.run(std::map<int, Tensor>{}, tokens, graph::kTraining);
  double n2 = 0;
  for (const Tensor* t : {&g1, &g2})
    for (int64_t i = 0; i < t->numel(); ++i) n2 += t->flat(i) * t->flat(i);
  const double scale = 0.5 / std::max(std::sqrt(n2), 0.5);
  ASSERT_LT(scale, 1.0);  // the case under test clips
  for (int64_t i = 0; i < 3; ++i) EXPECT_NEAR(ex.leaf(p1).flat(i), w1.flat(i) - 0.1 * scale * g1.flat(i), 1e-15);
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(ex.leaf(p2).flat(i), w2.flat(i) - 0.1 * scale * g2.flat(i), 1e-15);
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(ex.leaf(b2).flat(i), scale * g2.flat(i), 1e-15);
  EXPECT_THROW(graph::sgd_update({p1, p2}, {grads[0]}, {}, {}), Error);
}
