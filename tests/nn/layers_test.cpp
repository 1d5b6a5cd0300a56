// Initializers and the layer builders: names, registries, and values
// computed by hand in eval mode.
#include "cutrain/nn/layers.h"

#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"

using namespace cutrain;
using nn::Initializer;

namespace {

double sample_stddev(const std::vector<double>& v) {
  double s = 0, q = 0;
  for (double x : v) {
    s += x;
    q += x * x;
  }
  const double n = static_cast<double>(v.size());
  return std::sqrt(q / n - (s / n) * (s / n));
}

}  // namespace

TEST(Initializer, TruncationFactorIsTheStddevOfANormalCutAtTwo) {
  EXPECT_NEAR(nn::truncated_normal_stddev_factor(), 0.8796256610, 1e-9);
}

TEST(Initializer, TruncatedNormalStaysWithinTwoStddevAndIsDeterministic) {
  const Initializer init = Initializer::truncated_normal(0.01);
  const Tensor a = init.make(Shape({200, 500}), DType::f64, 42);
  const Tensor b = init.make(Shape({200, 500}), DType::f64, 42);
  const Tensor c = init.make(Shape({200, 500}), DType::f64, 43);
  EXPECT_EQ(max_abs_diff(a, b), 0.0);
  EXPECT_GT(max_abs_diff(a, c), 0.0);
  const std::vector<double> v = a.to_vector();
  for (double x : v) ASSERT_LE(std::abs(x), 0.02);
  EXPECT_NEAR(sample_stddev(v), 0.01 * 0.87963, 0.01 * 0.87963 * 0.01);
  // f32 holds the same draws, rounded.
  const Tensor f = init.make(Shape({200, 500}), DType::f32, 42);
  EXPECT_LT(max_abs_diff(f.to(DType::f64), a), 1e-8);
}

TEST(Initializer, TensorFillAgreesWithThePerElementDefinition) {
  // Odd length: the last Box-Muller pair is used for one element only.
  const Tensor t = Initializer::truncated_normal(0.5).make(Shape({7, 1001}), DType::f64, 77);
  for (int64_t i = 0; i < t.numel(); ++i)
    ASSERT_EQ(t.flat(i), 0.5 * nn::truncated_standard_normal(77, static_cast<uint64_t>(i))) << i;
}

TEST(Initializer, VarianceScalingUsesFanInOfTheOutFirstLayout) {
  EXPECT_EQ(nn::fan_in(Shape({64, 3, 3, 32})), 288);
  EXPECT_EQ(nn::fan_in(Shape({10, 400})), 400);
  const Initializer vs = Initializer::variance_scaling();
  EXPECT_NEAR(vs.normal_stddev(288), std::sqrt(2.6 / 288.0), 1e-15);
  const Tensor w = vs.make(Shape({100, 1000}), DType::f64, 1);
  EXPECT_NEAR(sample_stddev(w.to_vector()), std::sqrt(2.6 / 1000.0) * 0.87963,
              0.01 * std::sqrt(2.6 / 1000.0));
  const Tensor ones = Initializer::ones().make(Shape({3}), DType::f32, 0);
  EXPECT_EQ(ones.to_vector(), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(Initializer::zeros().make(Shape({2}), DType::f64, 0).to_vector(),
            (std::vector<double>{0, 0}));
}

TEST(Initializer, ParameterSeedsDependOnTheName) {
  EXPECT_EQ(nn::parameter_seed(1, "a/weights"), nn::parameter_seed(1, "a/weights"));
  EXPECT_NE(nn::parameter_seed(1, "a/weights"), nn::parameter_seed(1, "b/weights"));
  EXPECT_NE(nn::parameter_seed(1, "a/weights"), nn::parameter_seed(2, "a/weights"));
}

TEST(Layers, ConvBnReluInEvalMatchesAHandComputation) {
  nn::Model m;
  nn::ModelBuilder b(m, DType::f64, 5);
  const graph::Value x = b.graph().input("x", {Shape({1, 3, 3, 2}), DType::f64});
  graph::Value y;
  {
    graph::NameScope s(b.graph(), "Net");
    y = nn::conv2d_bn_relu(b, x, 2, {3, 3}, 1, "VALID", "Conv");
  }
  EXPECT_EQ(y.shape(), Shape({1, 1, 1, 2}));
  const Tensor& w = b.graph().tensor_of(b.graph().find("Net/Conv/weights"));
  EXPECT_EQ(w.shape(), Shape({2, 3, 3, 2}));
  ASSERT_EQ(m.params.size(), 2u);  // weights, beta
  EXPECT_EQ(m.params[1].name(), "Net/Conv/BatchNorm/beta");
  ASSERT_EQ(m.weight_decay_params.size(), 1u);
  EXPECT_EQ(m.weight_decay_params[0].name(), "Net/Conv/weights");
  ASSERT_EQ(m.bn_states.size(), 2u);
  EXPECT_EQ(m.bn_states[0].name(), "Net/Conv/BatchNorm/moving_mean");
  EXPECT_EQ(m.bn_states[1].name(), "Net/Conv/BatchNorm/moving_variance");

  Tensor xs = Tensor::empty(x.shape(), DType::f64);
  xs.uniform(-1, 1, 9);
  graph::Executor ex(b.graph(), Device::cpu());
  const Tensor out = ex.run({{x, xs}}, {y}, {false})[0];
  for (int64_t o = 0; o < 2; ++o) {
    double acc = 0;
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 3; ++j)
        for (int64_t c = 0; c < 2; ++c) acc += xs.at({0, i, j, c}) * w.at({o, i, j, c});
    // Fresh statistics (mean 0, variance 1), beta 0, epsilon 0.001.
    EXPECT_NEAR(out.at({0, 0, 0, o}), std::max(acc / std::sqrt(1.001), 0.0), 1e-12);
  }
}

TEST(Layers, DenseAndBiasedConvHaveBiasesWithoutDecay) {
  nn::Model m;
  nn::ModelBuilder b(m, DType::f64, 1);
  const graph::Value x = b.graph().input("x", {Shape({2, 4}), DType::f64});
  nn::DenseOptions d;
  d.biases_init = Initializer::constant(0.5);
  const graph::Value y = nn::dense(b, x, 3, "fc", d);
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  EXPECT_EQ(b.graph().find("fc/weights").shape(), Shape({3, 4}));
  ASSERT_EQ(m.weight_decay_params.size(), 1u);

  Tensor xs = Tensor::empty(x.shape(), DType::f64);
  xs.uniform(-1, 1, 2);
  const Tensor& w = b.graph().tensor_of(b.graph().find("fc/weights"));
  graph::Executor ex(b.graph(), Device::cpu());
  const Tensor out = ex.run({{x, xs}}, {y}, graph::kTraining)[0];
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t o = 0; o < 3; ++o) {
      double acc = 0.5;
      for (int64_t i = 0; i < 4; ++i) acc += xs.at({n, i}) * w.at({o, i});
      EXPECT_NEAR(out.at({n, o}), acc, 1e-12);
    }

  const graph::Value img = b.graph().input("img", {Shape({1, 5, 5, 3}), DType::f64});
  const graph::Value c = nn::conv2d(b, img, 7, {1, 1}, 1, "SAME", "Conv2d_1c_1x1");
  EXPECT_EQ(c.shape(), Shape({1, 5, 5, 7}));
  EXPECT_EQ(b.graph().find("Conv2d_1c_1x1/biases").shape(), Shape({7}));
  EXPECT_EQ(m.weight_decay_params.size(), 2u);
  EXPECT_EQ(m.params.size(), 4u);
}

TEST(Layers, WeightTransformReplacesTheWeightInsideTheLayerScope) {
  nn::Model m;
  nn::ModelBuilder b(m, DType::f64, 1);
  const graph::Value x = b.graph().input("x", {Shape({1, 4}), DType::f64});
  nn::DenseOptions plain;
  plain.use_bias = false;
  nn::DenseOptions doubled = plain;
  std::string scope_seen;
  doubled.weight_transform = [&](nn::ModelBuilder& mb, graph::Value w) {
    scope_seen = mb.graph().scoped("");
    return graph::scale(w, 2.0);
  };
  const graph::Value y1 = nn::dense(b, x, 2, "a", plain);
  const graph::Value y2 = nn::dense(b, x, 2, "b", doubled);
  EXPECT_EQ(scope_seen, "b/");
  Tensor xs = Tensor::full(x.shape(), DType::f64, 1.0);
  graph::Executor ex(b.graph(), Device::cpu());
  const auto out = ex.run({{x, xs}}, {y1, y2}, graph::kTraining);
  const Tensor& wb = b.graph().tensor_of(b.graph().find("b/weights"));
  for (int64_t o = 0; o < 2; ++o) {
    double s = 0;
    for (int64_t i = 0; i < 4; ++i) s += wb.at({o, i});
    EXPECT_NEAR(out[1].at({0, o}), 2.0 * s, 1e-12);
  }
  EXPECT_EQ(m.weight_decay_params[1].name(), "b/weights");  // decay applies to the raw weight
}

TEST(Layers, PoolsAndDropoutValidateTheirArguments) {
  graph::Graph g;
  const graph::Value x = g.input("x", {Shape({1, 8, 8, 3}), DType::f32});
  EXPECT_EQ(nn::max_pool(x, {3, 3}, 2, "VALID", "MaxPool").shape(), Shape({1, 3, 3, 3}));
  EXPECT_EQ(nn::avg_pool(x, {3, 3}, 1, "SAME", "AvgPool").shape(), Shape({1, 8, 8, 3}));
  EXPECT_EQ(nn::global_avg_pool(x, true, "GlobalPool").shape(), Shape({1, 1, 1, 3}));
  EXPECT_EQ(nn::dropout(x, 0.8, "Dropout").shape(), x.shape());
  EXPECT_EQ(g.node(nn::dropout(x, 0.8, "Dropout_2").node).attrs.f("rate"), 1.0 - 0.8);
  EXPECT_THROW(nn::dropout(x, 0.0, "Dropout"), Error);
  EXPECT_THROW(nn::dropout(x, 1.5, "Dropout"), Error);
  const graph::Value flat = g.input("f", {Shape({1, 3}), DType::f32});
  EXPECT_THROW(nn::max_pool(flat, {3, 3}, 1, "VALID", "P"), Error);
}
