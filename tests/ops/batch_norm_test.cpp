// Batch-norm family: forward and running statistics against the formulas
// (biased variance to normalize, Bessel-corrected for the moving update),
// eval mode, gradients against central differences, inference errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/batch_norm.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

constexpr double kEps = 0.001, kDecay = 0.9997;

// Inputs in op order: x, beta, running_mean, running_var [, gamma].
std::vector<Tensor> bn_inputs(const Shape& x, bool gamma, uint64_t seed) {
  const int64_t c = x[-1];
  std::vector<Tensor> in{random(x, seed, -2, 3), random({c}, seed + 1), random({c}, seed + 2),
                         random({c}, seed + 3, 0.5, 2.0)};
  if (gamma) in.push_back(random({c}, seed + 4, 0.5, 1.5));
  return in;
}

ops::Attrs bn_attrs(bool gamma) {
  return {{"epsilon", kEps}, {"decay", kDecay}, {"has_gamma", gamma}};
}

struct Stats {
  std::vector<double> mean, var;  // var: biased
};

Stats batch_stats(const Tensor& x) {
  const int64_t c = x.dim(-1), m = x.numel() / c;
  Stats s{std::vector<double>(static_cast<size_t>(c), 0.0), std::vector<double>(static_cast<size_t>(c), 0.0)};
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0;
    for (int64_t r = 0; r < m; ++r) sum += x.flat(r * c + ch);
    const double mu = sum / static_cast<double>(m);
    double sq = 0;
    for (int64_t r = 0; r < m; ++r) sq += (x.flat(r * c + ch) - mu) * (x.flat(r * c + ch) - mu);
    s.mean[static_cast<size_t>(ch)] = mu;
    s.var[static_cast<size_t>(ch)] = sq / static_cast<double>(m);
  }
  return s;
}

// y = (x - mean) / sqrt(var + eps) * gamma + beta, element by element.
void expect_normalized(const Tensor& y, const std::vector<Tensor>& in, const std::vector<double>& mean,
                       const std::vector<double>& var) {
  const Tensor& x = in[0];
  const int64_t c = x.dim(-1);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t ch = static_cast<size_t>(i % c);
    const double g = in.size() == 5 ? in[4].flat(i % c) : 1.0;
    const double want = (x.flat(i) - mean[ch]) / std::sqrt(var[ch] + kEps) * g + in[1].flat(i % c);
    ASSERT_NEAR(y.flat(i), want, 1e-12) << "element " << i;
  }
}

}  // namespace

TEST(BatchNorm, TrainingForwardAndRunningStatsWithBessel) {
  for (bool gamma : {false, true}) {
    for (const Shape& shape : {Shape{3, 4, 5, 3}, Shape{6, 5}}) {
      const auto in = bn_inputs(shape, gamma, 21);
      const Tensor rm0 = in[2].clone(), rv0 = in[3].clone();
      const auto out = ops::call("batch_norm", in, bn_attrs(gamma), /*training=*/true);
      const Stats s = batch_stats(in[0]);
      expect_normalized(out[0], in, s.mean, s.var);
      const int64_t c = shape[-1];
      const double m = static_cast<double>(shape.numel() / c);
      for (int64_t ch = 0; ch < c; ++ch) {
        const size_t k = static_cast<size_t>(ch);
        EXPECT_NEAR(out[1].flat(ch), s.mean[k], 1e-14);
        EXPECT_NEAR(out[2].flat(ch), 1 / std::sqrt(s.var[k] + kEps), 1e-12);
        // The kernel updated the running statistics in place.
        EXPECT_NEAR(in[2].flat(ch), kDecay * rm0.flat(ch) + (1 - kDecay) * s.mean[k], 1e-15);
        EXPECT_NEAR(in[3].flat(ch), kDecay * rv0.flat(ch) + (1 - kDecay) * s.var[k] * m / (m - 1), 1e-15);
        // Bessel's correction makes a visible difference at this batch size.
        EXPECT_GT(std::fabs(in[3].flat(ch) - (kDecay * rv0.flat(ch) + (1 - kDecay) * s.var[k])), 1e-7);
      }
    }
  }
}

TEST(BatchNorm, TorchMomentumIsOneMinusDecay) {
  // torchvision: momentum 0.1, i.e. decay 0.9.
  auto in = bn_inputs({4, 3}, true, 5);
  const Tensor rm0 = in[2].clone();
  ops::call("batch_norm", in, {{"epsilon", 1e-5}, {"decay", 0.9}}, true);
  const Stats s = batch_stats(in[0]);
  for (int64_t ch = 0; ch < 3; ++ch)
    EXPECT_NEAR(in[2].flat(ch), 0.9 * rm0.flat(ch) + 0.1 * s.mean[static_cast<size_t>(ch)], 1e-15);
}

TEST(BatchNorm, EvalUsesRunningStatsAndLeavesThemAlone) {
  for (bool gamma : {false, true}) {
    const auto in = bn_inputs({2, 3, 3, 4}, gamma, 33);
    const std::vector<double> rm = in[2].to_vector(), rv = in[3].to_vector();
    const auto out = ops::call("batch_norm", in, bn_attrs(gamma), /*training=*/false);
    expect_normalized(out[0], in, rm, rv);
    EXPECT_EQ(in[2].to_vector(), rm);
    EXPECT_EQ(in[3].to_vector(), rv);
  }
}

TEST(BatchNorm, FloatMatchesDouble) {
  const auto in = bn_inputs({4, 5, 5, 6}, true, 17);
  std::vector<Tensor> in32;
  for (const Tensor& t : in) in32.push_back(t.to(DType::f32));
  const auto y64 = ops::call("batch_norm", in, bn_attrs(true))[0];
  const auto y32 = ops::call("batch_norm", in32, bn_attrs(true))[0];
  EXPECT_LE(max_abs_diff(y32.to(DType::f64), y64), 1e-5);
  EXPECT_LE(max_abs_diff(in32[3].to(DType::f64), in[3]), 1e-6);
}

TEST(BatchNorm, GraphTrainingStepUpdatesStateOnce) {
  // Through the graph, autodiff and the executor: one step updates the state
  // once, and the gradient of sum(y) w.r.t. beta is the number of rows.
  graph::Graph g;
  const auto in = bn_inputs({2, 3, 3, 2}, false, 9);
  const auto x = g.input("x", {in[0].shape(), DType::f64});
  const auto beta = g.parameter("beta", in[1]);
  const auto rm = g.state("rm", in[2].clone());
  const auto rv = g.state("rv", in[3].clone());
  const auto y = graph::batch_norm(x, beta, {}, rm, rv);
  const auto loss = g.apply1("sum_to", {y}, {{"shape", std::vector<int64_t>{}}});
  const auto grads = graph::gradients(g, loss, {beta});
  graph::Executor exec(g, Device::cpu());
  const auto out = exec.run({{x, in[0]}}, {loss, grads[0]}, graph::kTraining);
  for (int64_t ch = 0; ch < 2; ++ch) EXPECT_NEAR(out[1].flat(ch), 18.0, 1e-12);
  const Stats s = batch_stats(in[0]);
  EXPECT_NEAR(exec.leaf(rm).flat(1), kDecay * in[2].flat(1) + (1 - kDecay) * s.mean[1], 1e-15);
}

class BatchNormGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(BatchNormGrad, TrainAndEvalWithAndWithoutGamma) {
  const uint64_t seed = GetParam();
  double worst = 0;
  for (bool training : {true, false}) {
    for (bool gamma : {false, true}) {
      for (const Shape& shape : {Shape{2, 3, 5, 3}, Shape{7, 4}}) {
        graph::GradCheckOptions o;
        o.seed = seed;
        o.training = training;
        o.param_inputs = gamma ? std::vector<int>{1, 4} : std::vector<int>{1};
        const auto r = graph::check_op_gradients("batch_norm", bn_inputs(shape, gamma, seed), bn_attrs(gamma), o);
        EXPECT_TRUE(r.ok) << "training=" << training << " gamma=" << gamma << " " << shape.str() << "\n"
                          << r.detail;
        EXPECT_EQ(r.skipped, 0);
        worst = std::max({worst, r.max_rel_error_inputs, r.max_rel_error_params});
      }
    }
  }
  std::printf("batch_norm seed %llu: max relative error %.3g\n", static_cast<unsigned long long>(seed), worst);
}

INSTANTIATE_TEST_SUITE_P(Seeds, BatchNormGrad, ::testing::Values(1u, 2u, 3u));

TEST(BatchNorm, GradOfYAloneMatchesTheClosedForm) {
  // With only dy flowing (the usual case), dx = invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
  const auto in = bn_inputs({5, 3}, false, 2);
  const auto out = ops::call("batch_norm", in, bn_attrs(false));
  const Tensor dy = random({5, 3}, 4);
  const auto d = ops::call("batch_norm_grad", {dy, in[0], out[1], out[2]});
  ASSERT_EQ(d.size(), 2u);
  const Stats s = batch_stats(in[0]);
  for (int64_t ch = 0; ch < 3; ++ch) {
    const size_t k = static_cast<size_t>(ch);
    const double inv = 1 / std::sqrt(s.var[k] + kEps);
    double mdy = 0, mdyx = 0, sdy = 0;
    for (int64_t r = 0; r < 5; ++r) {
      const double xh = (in[0].at({r, ch}) - s.mean[k]) * inv;
      sdy += dy.at({r, ch});
      mdy += dy.at({r, ch}) / 5;
      mdyx += dy.at({r, ch}) * xh / 5;
    }
    EXPECT_NEAR(d[1].flat(ch), sdy, 1e-14);
    for (int64_t r = 0; r < 5; ++r) {
      const double xh = (in[0].at({r, ch}) - s.mean[k]) * inv;
      EXPECT_NEAR(d[0].at({r, ch}), inv * (dy.at({r, ch}) - mdy - xh * mdyx), 1e-12);
    }
  }
}

TEST(BatchNorm, InferenceErrorsNameTheOpAndShapes) {
  const std::string beta = error_of([] {
    auto in = bn_inputs({2, 4, 4, 3}, false, 1);
    in[1] = random({4}, 2);
    ops::call("batch_norm", in, bn_attrs(false));
  });
  EXPECT_NE(beta.find("batch_norm"), std::string::npos) << beta;
  EXPECT_NE(beta.find("beta f64[4]"), std::string::npos) << beta;
  EXPECT_NE(beta.find("[2, 4, 4, 3]"), std::string::npos) << beta;
  const std::string flag = error_of([] { ops::call("batch_norm", bn_inputs({2, 3}, false, 1), bn_attrs(true)); });
  EXPECT_NE(flag.find("has_gamma"), std::string::npos) << flag;
  const std::string few = error_of([] {
    auto in = bn_inputs({2, 3}, false, 1);
    in.pop_back();
    ops::call("batch_norm", in);
  });
  EXPECT_NE(few.find("batch_norm"), std::string::npos) << few;
}
