// The spectral-norm layer wrapper: sigma against a weight built with known
// singular values, training-only updates of u and v, and which tensors the
// model's registries hold.
#include "cutrain/nn/spectral_norm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/regularizers.h"
#include "cutrain/nn/layers.h"

using namespace cutrain;
using graph::Value;

namespace {

// Householder reflection I - 2 a a^T / |a|^2 (orthogonal), n x n row-major.
std::vector<double> householder(const std::vector<double>& a) {
  const size_t n = a.size();
  double q = 0;
  for (double x : a) q += x * x;
  std::vector<double> h(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) h[i * n + j] = (i == j ? 1.0 : 0.0) - 2.0 * a[i] * a[j] / q;
  return h;
}

// rows x cols matrix U diag(s) V^T with U = householder(ua) (rows x rows) and
// V the first rows columns of householder(va) (cols x cols): singular values s.
std::vector<double> with_singular_values(size_t rows, size_t cols, const std::vector<double>& s) {
  std::vector<double> ua(rows), va(cols);
  for (size_t i = 0; i < rows; ++i) ua[i] = 1.0 + 0.3 * static_cast<double>(i);
  for (size_t j = 0; j < cols; ++j) va[j] = std::cos(1.7 * static_cast<double>(j)) + 0.2;
  const std::vector<double> u = householder(ua), v = householder(va);
  std::vector<double> w(rows * cols, 0.0);
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j)
      for (size_t k = 0; k < rows; ++k) w[i * cols + j] += u[i * rows + k] * s[k] * v[j * cols + k];
  return w;
}

struct Built {
  nn::Model model;
  Value x, y, w;
};

// One conv layer [O=4, 3, 3, I=2] (a 4 x 18 matrix) or one dense [3, 5].
void build(Built& m, bool conv, int64_t iterations) {
  nn::ModelBuilder b(m.model, DType::f64, 7);
  nn::WeightTransform sn = nn::spectral_norm(iterations);
  if (conv) {
    m.x = b.graph().input("x", {Shape({2, 5, 5, 2}), DType::f64});
    nn::ConvOptions o;
    o.weight_transform = sn;
    m.y = nn::conv2d(b, m.x, 4, {3, 3}, 1, "SAME", "conv", o);
  } else {
    m.x = b.graph().input("x", {Shape({2, 5}), DType::f64});
    nn::DenseOptions o;
    o.weight_transform = sn;
    m.y = nn::dense(b, m.x, 3, "fc", o);
  }
  m.w = m.model.params.at(0);
}

}  // namespace

class SpectralNormLayer : public ::testing::TestWithParam<bool> {};

TEST_P(SpectralNormLayer, SigmaAfter50IterationsIsTheLargestSingularValue) {
  const bool conv = GetParam();
  Built m;
  build(m, conv, 50);
  const size_t rows = conv ? 4 : 3, cols = conv ? 18 : 5;
  const std::vector<double> s = conv ? std::vector<double>{3.0, 1.5, 1.0, 0.25} : std::vector<double>{2.5, 1.2, 0.4};
  const std::vector<double> w = with_singular_values(rows, cols, s);
  graph::Graph& g = *m.model.graph;
  g.mutable_node(m.w.node).tensor = Tensor::from_vector(m.w.shape(), w, DType::f64);

  const std::string layer = conv ? "conv" : "fc";
  const Value sigma = m.model.endpoint(layer + "/sigma");
  graph::Executor ex(g, Device::cpu());
  const Tensor x = Tensor::zeros(m.x.shape(), DType::f64);
  const std::vector<Tensor> out = ex.run({{m.x, x}}, {sigma, Value{&g, sigma.node, 0}}, {true});
  EXPECT_NEAR(out[0].item(), s[0], 1e-6);
  // The op's first output is the normalized weight: w / sigma_max.
  const Tensor wsn = out[1];
  ASSERT_EQ(wsn.numel(), static_cast<int64_t>(w.size()));
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(wsn.flat(static_cast<int64_t>(i)), w[i] / s[0], 1e-6);
}

TEST_P(SpectralNormLayer, UAndVChangeOnlyInTrainingRuns) {
  Built m;
  build(m, GetParam(), 1);
  graph::Graph& g = *m.model.graph;
  const std::string layer = GetParam() ? "conv" : "fc";
  const Value u = g.find(layer + "/weight_u"), v = g.find(layer + "/weight_v");
  graph::Executor ex(g, Device::cpu());
  const Tensor u0 = ex.leaf(u).clone(), v0 = ex.leaf(v).clone();
  const Tensor x = Tensor::full(m.x.shape(), DType::f64, 0.5);
  ex.run({{m.x, x}}, {m.y}, {false});
  EXPECT_EQ(max_abs_diff(ex.leaf(u), u0), 0.0);
  EXPECT_EQ(max_abs_diff(ex.leaf(v), v0), 0.0);
  ex.run({{m.x, x}}, {m.y}, {true});
  EXPECT_GT(max_abs_diff(ex.leaf(u), u0), 1e-6);
  EXPECT_GT(max_abs_diff(ex.leaf(v), v0), 1e-6);
}

TEST_P(SpectralNormLayer, RegistriesHoldTheRawWeightAndUVAsState) {
  Built m;
  build(m, GetParam(), 1);
  graph::Graph& g = *m.model.graph;
  const std::string layer = GetParam() ? "conv" : "fc";
  const int64_t out = GetParam() ? 4 : 3, in = GetParam() ? 18 : 5;
  // The trainable and L2 lists name the raw parameter, not the normalized weight.
  EXPECT_EQ(g.node(m.w.node).kind, graph::NodeKind::parameter);
  EXPECT_EQ(m.w.name(), layer + "/weights");
  ASSERT_EQ(m.model.weight_decay_params.size(), 1u);
  EXPECT_EQ(m.model.weight_decay_params[0], m.w);
  ASSERT_EQ(m.model.states.size(), 2u);
  EXPECT_EQ(m.model.states[0].name(), layer + "/weight_u");
  EXPECT_EQ(m.model.states[1].name(), layer + "/weight_v");
  EXPECT_EQ(m.model.states[0].shape(), Shape({out}));
  EXPECT_EQ(m.model.states[1].shape(), Shape({in}));
  EXPECT_TRUE(m.model.bn_states.empty());
  // u and v start as unit vectors.
  for (const Value& s : m.model.states) {
    const Tensor t = g.tensor_of(s);
    double q = 0;
    for (int64_t i = 0; i < t.numel(); ++i) q += t.flat(i) * t.flat(i);
    EXPECT_NEAR(q, 1.0, 1e-12);
  }
  // An L2 loss over the weight-decay list sees the raw weight's values.
  const Value l2 = graph::l2_loss(m.model.weight_decay_params[0], 2.0);
  graph::Executor ex(g, Device::cpu());
  const Tensor w = g.tensor_of(m.w);
  double sq = 0;
  for (int64_t i = 0; i < w.numel(); ++i) sq += w.flat(i) * w.flat(i);
  EXPECT_NEAR(ex.run(std::map<int, Tensor>{}, {l2}, {true})[0].item(), sq, 1e-12 * sq);
}

INSTANTIATE_TEST_SUITE_P(ConvAndDense, SpectralNormLayer, ::testing::Values(true, false),
                         [](const auto& info) { return std::string(info.param ? "Conv" : "Dense"); });
