// The loss a compiled Model reports is the Keras/slim loss: per-sample
// softmax cross-entropy (label smoothing), times the sample and class
// weights, summed and divided by the batch size, plus wd * sum(w^2) / 2.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/nn/small_cnn.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing::linear_net;
using testing::synthetic;

// Hand computation from the model's host weights.
double hand_loss(const Tensor& x, const Tensor& labels, const std::vector<double>& w, const Tensor& W,
                 const Tensor& b, double smoothing, double wd) {
  const int64_t n = x.dim(0), c = W.dim(0), f = W.dim(1);
  const Tensor xf = x.reshape({n, f});
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> z(static_cast<size_t>(c));
    for (int64_t k = 0; k < c; ++k) {
      double s = b.flat(k);
      for (int64_t j = 0; j < f; ++j) s += xf.at({i, j}) * W.at({k, j});
      z[static_cast<size_t>(k)] = s;
    }
    double mx = z[0];
    for (double v : z) mx = std::max(mx, v);
    double lse = 0;
    for (double v : z) lse += std::exp(v - mx);
    lse = mx + std::log(lse);
    double loss = 0;
    for (int64_t k = 0; k < c; ++k) {
      const double t = (k == labels.flat(i) ? 1.0 - smoothing : 0.0) + smoothing / static_cast<double>(c);
      loss -= t * (z[static_cast<size_t>(k)] - lse);
    }
    total += loss * w[static_cast<size_t>(i)];
  }
  double sq = 0;
  for (double v : W.to_vector()) sq += v * v;
  return total / static_cast<double>(n) + wd * sq / 2;
}

NetworkSpec spec(int64_t batch, int hw, int classes) {
  NetworkSpec s;
  s.batch_size = batch;
  s.height = s.width = hw;
  s.channels = 1;
  s.num_classes = classes;
  s.seed = 3;
  return s;
}

TEST(ModelLoss, TrainOnBatchLossMatchesHandComputationWithWeightsAndSmoothing) {
  Model m(linear_net, spec(6, 4, 5));
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.1));
  co.losses = {LossSpec{"sparse_categorical_crossentropy", 1.0, 0.1}};
  co.weight_decay = 0.01;
  co.dtype = DType::f64;
  m.compile(co);
  Tensor x = Tensor::empty({6, 4, 4, 1}, DType::f64);
  x.uniform(-1, 1, 11);
  const Tensor y = Tensor::from_vector({6}, {0, 3, 4, 1, 1, 2}, DType::i32);
  const std::vector<double> w{1.0, 0.5, 2.0, 0.0, 1.5, 3.0};
  // Weights before the step (the reported loss is computed before the update).
  m.predict_on_batch(x);  // builds the graph so the weights exist
  const WeightSnapshot before = m.get_weights();
  const Logs logs = m.train_on_batch(x, y, Tensor::from_vector({6}, w, DType::f64));
  const double expected = hand_loss(x, y, w, before[0], before[1], 0.1, 0.01);
  EXPECT_NEAR(logs.at("loss"), expected, 1e-12 * std::abs(expected));
  // The update moved the weights.
  EXPECT_GT(max_abs_diff(m.get_weights()[0], before[0]), 0.0);
}

TEST(ModelLoss, ClassWeightsFlowThroughFitIntoTheLoss) {
  const int64_t n = 8;
  auto data = synthetic(n, 4, 3, 9);
  Model m(linear_net, spec(n, 4, 3));
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.0));  // lr 0: the weights stay, the loss is exact
  co.weight_decay = 0.02;
  co.dtype = DType::f64;
  m.compile(co);
  FitOptions fo;
  fo.batch_size = n;
  fo.epochs = 1;
  fo.verbose = 0;
  fo.class_weight = {{0, 2.0}, {2, 0.25}};
  fo.sample_weight = {1, 1, 3, 1, 1, 0.5, 1, 1};
  const ImageData d = resize_image_data(data, 4, 1, false);
  History h = m.fit(d, fo);
  const WeightSnapshot ws = m.get_weights();

  Tensor x = Tensor::empty({n, 4, 4, 1}, DType::f64);
  Tensor y = Tensor::empty({n}, DType::i32);
  std::vector<double> w;
  for (int64_t i = 0; i < n; ++i) {
    const data::Sample s = data->get(i);
    for (int p = 0; p < 16; ++p) x.set_flat(i * 16 + p, s.image.pixels[static_cast<size_t>(p)] / 127.5 - 1.0);
    y.set_flat(i, s.label);
    const double cw = s.label == 0 ? 2.0 : s.label == 2 ? 0.25 : 1.0;
    w.push_back(fo.sample_weight[static_cast<size_t>(i)] * cw);
  }
  const double expected = hand_loss(x, y, w, ws[0], ws[1], 0.0, 0.02);
  ASSERT_EQ(h["loss"].size(), 1u);
  // Pixels pass through a float32 resize, so allow float rounding of the inputs.
  EXPECT_NEAR(h["loss"][0], expected, 1e-5 * std::abs(expected));
  // Without the class weights the loss is clearly different.
  std::vector<double> plain(fo.sample_weight);
  EXPECT_GT(std::abs(hand_loss(x, y, plain, ws[0], ws[1], 0.0, 0.02) - expected), 1e-3);
}

// Two heads sharing the input: the total is main + 0.4 * aux, each reduced
// with the same sample weights.
Network two_heads(graph::Graph& g, const NetworkSpec& s) {
  Network n = linear_net(g, s);
  const int64_t features = int64_t{s.height} * s.width * s.channels;
  Tensor w = Tensor::empty({s.num_classes, features}, s.dtype);
  w.normal(0.0, 0.5, s.seed + 40);
  graph::Value wv = g.parameter("AuxLogits/weights", w);
  graph::Value bv = g.parameter("AuxLogits/biases", Tensor::zeros({s.num_classes}, s.dtype));
  n.outputs.push_back(graph::dense(graph::flatten(n.input), wv, bv));
  n.trainable.insert(n.trainable.end(), {wv, bv});
  return n;
}

TEST(ModelLoss, AuxiliaryHeadIsWeightedIntoTheTotal) {
  Model m(two_heads, spec(4, 3, 4));
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.1));
  co.losses = {LossSpec{}, LossSpec{"sparse_categorical_crossentropy", 0.4, 0.0}};
  co.dtype = DType::f64;
  m.compile(co);
  Tensor x = Tensor::empty({4, 3, 3, 1}, DType::f64);
  x.uniform(-1, 1, 12);
  const Tensor y = Tensor::from_vector({4}, {0, 1, 2, 3}, DType::i32);
  const std::vector<double> w{1.0, 2.0, 0.5, 1.0};
  m.predict_on_batch(x);
  const WeightSnapshot ws = m.get_weights();  // Logits W, b, AuxLogits W, b
  const double main = hand_loss(x, y, w, ws[0], ws[1], 0.0, 0.0);
  const double aux = hand_loss(x, y, w, ws[2], ws[3], 0.0, 0.0);
  const Logs logs = m.train_on_batch(x, y, Tensor::from_vector({4}, w, DType::f64));
  EXPECT_NEAR(logs.at("loss"), main + 0.4 * aux, 1e-12 * (main + aux));
}

TEST(ModelLoss, StepZeroLossOfSmallCnnWithUniformLogitsIsLnCPlusL2) {
  const int classes = 10;
  Model m(nn::small_cnn_builder({{8, 16}}), spec(16, 12, classes));
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.01), 0.9);
  co.weight_decay = 4e-3;
  m.compile(co);
  Tensor x = Tensor::empty({16, 12, 12, 1}, DType::f32);
  x.uniform(-1, 1, 4);
  const Tensor y = Tensor::from_vector({16}, std::vector<double>(16, 3.0), DType::i32);
  m.predict_on_batch(x);
  // Zero classifier weights and bias: every logit is 0, the softmax uniform.
  WeightSnapshot ws = m.get_weights();
  const auto names = m.parameter_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].rfind("Logits/", 0) == 0) ws[i].fill(0.0);
  m.set_weights(ws);
  const double l2 = m.l2_term();
  EXPECT_GT(l2, 0.0);
  const Logs logs = m.train_on_batch(x, y);
  EXPECT_NEAR(logs.at("loss"), std::log(static_cast<double>(classes)) + l2, 1e-5);
}

}  // namespace
}  // namespace cutrain::train
