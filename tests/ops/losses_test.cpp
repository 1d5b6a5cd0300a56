// Loss family: forwards against the formulas written out here, fused
// backward ops against central differences, and the weighted reduction.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed, double lo = -2, double hi = 2) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t;
}

// Class ids derived from a seeded uniform draw.
Tensor class_ids(int64_t n, int64_t classes, uint64_t seed, DType dtype) {
  const Tensor r = random({n}, seed, 0, static_cast<double>(classes));
  std::vector<double> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(std::floor(std::min(r.flat(i), classes - 0.5)));
  return Tensor::from_vector({n}, ids, dtype);
}

Tensor one_hot(const Tensor& ids, int64_t classes) {
  Tensor t = Tensor::zeros({ids.numel(), classes}, DType::f64);
  for (int64_t i = 0; i < ids.numel(); ++i) t.set_flat(i * classes + static_cast<int64_t>(ids.flat(i)), 1.0);
  return t;
}

// Rows of positive numbers that sum to 1.
Tensor probabilities(int64_t n, int64_t classes, uint64_t seed) {
  Tensor t = random({n, classes}, seed, 0.1, 1.0);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t c = 0; c < classes; ++c) s += t.flat(i * classes + c);
    for (int64_t c = 0; c < classes; ++c) t.set_flat(i * classes + c, t.flat(i * classes + c) / s);
  }
  return t;
}

// -sum_c t_c log softmax(x)_c written directly from the definition.
double reference_ce(const Tensor& x, int64_t i, const std::vector<double>& target) {
  const int64_t classes = x.dim(1);
  double z = 0;
  for (int64_t c = 0; c < classes; ++c) z += std::exp(x.at({i, c}));
  double l = 0;
  for (int64_t c = 0; c < classes; ++c) l -= target[static_cast<size_t>(c)] * std::log(std::exp(x.at({i, c})) / z);
  return l;
}

void expect_grad_ok(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs, uint64_t seed) {
  const auto r = graph::check_op_gradients(op, in, attrs, {.seed = seed});
  EXPECT_TRUE(r.ok) << op << " " << attrs.str() << "\n" << r.detail;
  EXPECT_LE(r.max_rel_error_inputs, 1e-6) << op << " " << attrs.str();
  EXPECT_GT(r.checked, 0);
}

}  // namespace

TEST(SoftmaxCrossEntropy, UniformLogitsGiveLogC) {
  for (int64_t classes : {1, 2, 7, 1001}) {
    const Tensor logits = Tensor::full({3, classes}, DType::f64, 0.37);
    const Tensor labels = Tensor::from_vector({3}, {0, static_cast<double>(classes - 1), 0}, DType::i64);
    for (double s : {0.0, 0.1}) {
      const Tensor loss = ops::call("softmax_cross_entropy", {logits, labels}, {{"label_smoothing", s}})[0];
      ASSERT_EQ(loss.shape(), Shape({3}));
      for (int64_t i = 0; i < 3; ++i) EXPECT_NEAR(loss.flat(i), std::log(static_cast<double>(classes)), 1e-12);
    }
  }
}

TEST(SoftmaxCrossEntropy, MatchesDefinitionForEveryLabelEncoding) {
  const int64_t n = 5, classes = 7;
  const Tensor logits = random({n, classes}, 4, -3, 3);
  const Tensor ids = class_ids(n, classes, 9, DType::i32);
  for (double s : {0.0, 0.1, 0.25}) {
    for (DType label_type : {DType::i32, DType::i64, DType::f64}) {
      const Tensor labels = label_type == DType::f64 ? one_hot(ids, classes) : ids.to(DType::f64).to(label_type);
      const Tensor loss = ops::call("softmax_cross_entropy", {logits, labels}, {{"label_smoothing", s}})[0];
      for (int64_t i = 0; i < n; ++i) {
        std::vector<double> t(static_cast<size_t>(classes), s / classes);
        t[static_cast<size_t>(ids.flat(i))] += 1.0 - s;
        EXPECT_NEAR(loss.flat(i), reference_ce(logits, i, t), 1e-12) << "s=" << s << " i=" << i;
        // The smoothed loss in closed form: (1 - s) CE(y) + s * mean_c CE(c).
        double lse = 0;
        for (int64_t c = 0; c < classes; ++c) lse += std::exp(logits.at({i, c}));
        lse = std::log(lse);
        double mean_all = 0;
        for (int64_t c = 0; c < classes; ++c) mean_all += (lse - logits.at({i, c})) / classes;
        const double expected = (1 - s) * (lse - logits.at({i, static_cast<int64_t>(ids.flat(i))})) + s * mean_all;
        EXPECT_NEAR(loss.flat(i), expected, 1e-12);
      }
    }
  }
}

TEST(SoftmaxCrossEntropy, ProbabilityLabelsAndFloat32) {
  const Tensor logits = random({4, 5}, 2);
  const Tensor p = probabilities(4, 5, 3);
  const Tensor loss = ops::call("softmax_cross_entropy", {logits, p})[0];
  for (int64_t i = 0; i < 4; ++i) {
    std::vector<double> t;
    for (int64_t c = 0; c < 5; ++c) t.push_back(p.at({i, c}));
    EXPECT_NEAR(loss.flat(i), reference_ce(logits, i, t), 1e-12);
  }
  const Tensor loss32 = ops::call("softmax_cross_entropy", {logits.to(DType::f32), p.to(DType::f32)})[0];
  EXPECT_EQ(loss32.dtype(), DType::f32);
  EXPECT_LT(max_abs_diff(loss32.to(DType::f64), loss), 1e-5);
}

TEST(SoftmaxCrossEntropy, LargeLogitsStayFinite) {
  const Tensor logits = Tensor::from_vector({1, 3}, {1000, -1000, 0}, DType::f32);
  const Tensor labels = Tensor::from_vector({1}, {1}, DType::i32);
  const Tensor loss = ops::call("softmax_cross_entropy", {logits, labels})[0];
  EXPECT_FLOAT_EQ(static_cast<float>(loss.flat(0)), 2000.0f);
}

TEST(SoftmaxCrossEntropy, RejectsBadLabels) {
  const Tensor logits = random({2, 3}, 1);
  EXPECT_THROW(ops::call("softmax_cross_entropy", {logits, Tensor::from_vector({2}, {0, 3}, DType::i32)}), Error);
  EXPECT_THROW(ops::call("softmax_cross_entropy", {logits, Tensor::from_vector({3}, {0, 1, 2}, DType::i32)}), Error);
  EXPECT_THROW(ops::call("softmax_cross_entropy", {logits, random({2, 4}, 2)}), Error);
  try {
    ops::call("softmax_cross_entropy", {random({2, 3, 4}, 1), Tensor::from_vector({2}, {0, 1}, DType::i32)});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("op 'softmax_cross_entropy'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[2, 3, 4]"), std::string::npos) << e.what();
  }
}

TEST(SigmoidBinaryCrossEntropy, MatchesDefinitionMeanAndSum) {
  const Tensor x = random({3, 4, 5}, 6, -4, 4), t = random({3, 4, 5}, 7, 0, 1);
  for (double s : {0.0, 0.2}) {
    const Tensor mean = ops::call("sigmoid_binary_cross_entropy", {x, t}, {{"label_smoothing", s}})[0];
    const Tensor sum =
        ops::call("sigmoid_binary_cross_entropy", {x, t}, {{"label_smoothing", s}, {"sum_features", true}})[0];
    ASSERT_EQ(mean.shape(), Shape({3}));
    for (int64_t i = 0; i < 3; ++i) {
      double e = 0;
      for (int64_t j = 0; j < 20; ++j) {
        const double xv = x.flat(i * 20 + j), tv = t.flat(i * 20 + j) * (1 - s) + 0.5 * s;
        const double p = 1 / (1 + std::exp(-xv));
        e += -(tv * std::log(p) + (1 - tv) * std::log(1 - p));
      }
      EXPECT_NEAR(sum.flat(i), e, 1e-12);
      EXPECT_NEAR(mean.flat(i), e / 20, 1e-13);
    }
  }
  // Saturated logits: log(1 + exp(-|x|)) keeps the loss finite and exact.
  const Tensor big = Tensor::from_vector({2, 1}, {200, -200}), zeros = Tensor::zeros({2, 1}, DType::f32);
  const Tensor l = ops::call("sigmoid_binary_cross_entropy", {big, zeros})[0];
  EXPECT_FLOAT_EQ(static_cast<float>(l.flat(0)), 200.0f);
  EXPECT_NEAR(l.flat(1), 0.0, 1e-30);
}

TEST(MeanSquaredErrorAndKl, MatchDefinitions) {
  const Tensor p = random({4, 3}, 1), t = random({4, 3}, 2);
  const Tensor mse = ops::call("mean_squared_error", {p, t})[0];
  for (int64_t i = 0; i < 4; ++i) {
    double e = 0;
    for (int64_t j = 0; j < 3; ++j) e += std::pow(p.at({i, j}) - t.at({i, j}), 2) / 3;
    EXPECT_NEAR(mse.flat(i), e, 1e-14);
  }
  const Tensor mu = random({4, 2, 3}, 3), lv = random({4, 2, 3}, 4);
  const Tensor kl = ops::call("gaussian_kl", {mu, lv})[0];
  for (int64_t i = 0; i < 4; ++i) {
    // KL(N(m, s2) || N(0, 1)) = 0.5 (s2 + m^2 - 1 - ln s2) per dimension.
    double e = 0;
    for (int64_t j = 0; j < 6; ++j) {
      const double m = mu.flat(i * 6 + j), s2 = std::exp(lv.flat(i * 6 + j));
      e += 0.5 * (s2 + m * m - 1 - std::log(s2));
    }
    EXPECT_NEAR(kl.flat(i), e, 1e-13);
  }
  const Tensor zero = ops::call("gaussian_kl", {Tensor::zeros({2, 5}, DType::f64), Tensor::zeros({2, 5}, DType::f64)})[0];
  EXPECT_EQ(zero.flat(0), 0.0);
}

TEST(WeightedLossReduce, ModesMatchKerasDefinitions) {
  const Tensor l = Tensor::from_vector({4}, {1.0, 2.0, 3.0, 4.0}, DType::f64);
  const Tensor w = Tensor::from_vector({4}, {0.5, 0.0, 2.0, 1.0}, DType::f64);
  auto reduce = [](const std::vector<Tensor>& in, const std::string& mode) {
    const Tensor out = ops::call("weighted_loss_reduce", in, {{"mode", mode}})[0];
    EXPECT_EQ(out.shape(), Shape{});
    return out.item();
  };
  const double weighted = 0.5 + 0 + 6 + 4;
  EXPECT_DOUBLE_EQ(reduce({l, w}, "sum_over_batch_size"), weighted / 4);  // not / sum(w)
  EXPECT_DOUBLE_EQ(reduce({l, w}, "mean_weighted"), weighted / 3.5);
  EXPECT_DOUBLE_EQ(reduce({l, w}, "sum"), weighted);
  EXPECT_DOUBLE_EQ(reduce({l}, "sum_over_batch_size"), 2.5);
  EXPECT_DOUBLE_EQ(reduce({l}, "mean_weighted"), 2.5);
  EXPECT_DOUBLE_EQ(reduce({l}, "sum"), 10.0);
  EXPECT_EQ(reduce({l, Tensor::zeros({4}, DType::f64)}, "mean_weighted"), 0.0);
  EXPECT_THROW(ops::call("weighted_loss_reduce", {l}, {{"mode", "avg"}}), Error);
  EXPECT_THROW(ops::call("weighted_loss_reduce", {l, Tensor::zeros({3}, DType::f64)}), Error);
}

class LossGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(LossGrad, SoftmaxCrossEntropy) {
  const uint64_t seed = GetParam();
  const int64_t n = 5, classes = 7;
  for (double s : {0.0, 0.1}) {
    const ops::Attrs a{{"label_smoothing", s}};
    const Tensor logits = random({n, classes}, seed, -3, 3);
    const Tensor ids = class_ids(n, classes, seed + 10, DType::i32);
    expect_grad_ok("softmax_cross_entropy", {logits, ids}, a, seed);
    expect_grad_ok("softmax_cross_entropy", {logits, ids.to(DType::f64).to(DType::i64)}, a, seed);
    expect_grad_ok("softmax_cross_entropy", {logits, one_hot(ids, classes)}, a, seed);
    expect_grad_ok("softmax_cross_entropy", {logits, probabilities(n, classes, seed + 20)}, a, seed);
    // Labels that do not sum to one still get the exact derivative.
    expect_grad_ok("softmax_cross_entropy", {logits, random({n, classes}, seed + 30, 0, 1)}, a, seed);
  }
}

TEST_P(LossGrad, SigmoidBinaryCrossEntropy) {
  const uint64_t seed = GetParam();
  const Tensor x = random({3, 5, 7}, seed, -4, 4), t = random({3, 5, 7}, seed + 1, 0, 1);
  for (double s : {0.0, 0.1})
    for (bool sum : {false, true})
      expect_grad_ok("sigmoid_binary_cross_entropy", {x, t}, {{"label_smoothing", s}, {"sum_features", sum}}, seed);
  expect_grad_ok("sigmoid_binary_cross_entropy", {random({7}, seed), random({7}, seed + 2, 0, 1)}, {}, seed);
}

TEST_P(LossGrad, MeanSquaredErrorBothInputs) {
  const uint64_t seed = GetParam();
  expect_grad_ok("mean_squared_error", {random({5, 3, 3}, seed), random({5, 3, 3}, seed + 1)}, {}, seed);
}

TEST_P(LossGrad, GaussianKl) {
  const uint64_t seed = GetParam();
  expect_grad_ok("gaussian_kl", {random({3, 7}, seed), random({3, 7}, seed + 1)}, {}, seed);
}

TEST_P(LossGrad, WeightedLossReduceEveryMode) {
  const uint64_t seed = GetParam();
  const Tensor l = random({7}, seed), w = random({7}, seed + 1, 0, 2);
  for (const char* mode : {"sum_over_batch_size", "mean_weighted", "sum"}) {
    expect_grad_ok("weighted_loss_reduce", {l, w}, {{"mode", mode}}, seed);
    expect_grad_ok("weighted_loss_reduce", {l}, {{"mode", mode}}, seed);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, LossGrad, ::testing::Values(1u, 2u, 3u));

TEST(LossGraph, AutodiffThroughCrossEntropyAndReduction) {
  // d/dx of sum_i w_i CE_i / N is w_i (softmax(x_i) - onehot_i) / N.
  const int64_t n = 3, classes = 4;
  graph::Graph g;
  const Tensor x0 = random({n, classes}, 8);
  const Tensor ids = Tensor::from_vector({n}, {2, 0, 3}, DType::i32);
  const Tensor w0 = Tensor::from_vector({n}, {1.0, 0.5, 2.0}, DType::f64);
  auto x = g.parameter("logits", x0);
  auto loss = graph::weighted_loss_reduce(graph::softmax_cross_entropy(x, g.constant(ids, "labels")),
                                        g.constant(w0, "weights"));
  auto grads = graph::gradients(g, loss, {x});
  graph::Executor ex(g, Device::cpu());
  const auto out = ex.run(std::map<int, Tensor>{}, {loss, grads[0]}, graph::kTraining);
  double expected_loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    double z = 0;
    for (int64_t c = 0; c < classes; ++c) z += std::exp(x0.at({i, c}));
    for (int64_t c = 0; c < classes; ++c) {
      const double p = std::exp(x0.at({i, c})) / z;
      const double y = c == static_cast<int64_t>(ids.flat(i)) ? 1.0 : 0.0;
      EXPECT_NEAR(out[1].at({i, c}), w0.flat(i) * (p - y) / n, 1e-15);
      if (y == 1.0) expected_loss -= w0.flat(i) * std::log(p) / n;
    }
  }
  EXPECT_NEAR(out[0].item(), expected_loss, 1e-14);
}
