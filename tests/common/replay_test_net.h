// The network of the graph-replay tests (tests/graph on the CPU, tests/gpu on
// a GPU): every kind of per-step state a recorded step must not bake in —
// batch-norm statistics, a dropout mask, the optimizer's update — in a few
// kernels. conv 3x3 (`filters`) → batch norm → ReLU → dropout 0.25 → global
// average pool → dense, with fixed random weights.
#pragma once

#include "cutrain/graph/ops/batch_norm.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/dropout.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/pool.h"
#include "cutrain/train/model.h"

namespace cutrain::testing_util {

inline Tensor random_tensor(const Shape& s, DType dt, double stddev, uint64_t seed) {
  Tensor t = Tensor::empty(s, dt);
  t.normal(0.0, stddev, seed);
  return t;
}

inline train::Network bn_dropout_cnn(graph::Graph& g, const train::NetworkSpec& s, int64_t filters) {
  using graph::Value;
  train::Network net;
  net.input = g.input("images", {Shape{s.batch_size, s.height, s.width, s.channels}, s.dtype});
  const Value w = g.parameter("conv/weights", random_tensor({filters, 3, 3, s.channels}, s.dtype, 0.3, 7));
  const Value beta = g.parameter("bn/beta", Tensor::zeros({filters}, s.dtype));
  const Value mean = g.state("bn/moving_mean", Tensor::zeros({filters}, s.dtype));
  const Value var = g.state("bn/moving_variance", Tensor::full({filters}, s.dtype, 1.0));
  const Value wd = g.parameter("logits/weights", random_tensor({s.num_classes, filters}, s.dtype, 0.5, 8));
  Value h = graph::relu(graph::batch_norm(graph::conv2d(net.input, w), beta, Value{}, mean, var));
  h = graph::dropout(h, 0.25);
  net.outputs = {graph::dense(graph::global_avg_pool(h), wd)};
  net.trainable = {w, beta, wd};
  net.states = {mean, var};
  return net;
}

}  // namespace cutrain::testing_util
