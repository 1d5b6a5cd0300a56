#include "cutrain/nn/small_cnn.h"

#include <cmath>
#include <string>

#include "cutrain/core/error.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/batch_norm.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/pool.h"

namespace cutrain::nn {

Network small_cnn(graph::Graph& g, const NetworkSpec& spec, const SmallCnnOptions& options) {
  CUTRAIN_CHECK(!options.channels.empty(), "small_cnn needs at least one conv block");
  Network net;
  net.input = g.input("images", {Shape{spec.batch_size, spec.height, spec.width, spec.channels}, spec.dtype});
  graph::Value x = net.input;
  int64_t in_c = spec.channels;
  uint64_t seed = spec.seed * 1000003u + 17;
  for (size_t i = 0; i < options.channels.size(); ++i) {
    const int64_t out_c = options.channels[i];
    graph::NameScope scope(g, "Conv2d_" + std::to_string(i + 1));
    Tensor w = Tensor::empty({out_c, 3, 3, in_c}, spec.dtype);
    w.normal(0.0, std::sqrt(2.0 / static_cast<double>(9 * in_c)), ++seed);
    graph::Value wv = g.parameter("weights", w);
    ops::Conv2dOptions co;
    if (i > 0) co.strides = {2, 2};
    graph::Value y = graph::conv2d(x, wv, co);
    graph::Value beta, mean, var;
    {
      graph::NameScope bn(g, "BatchNorm");
      beta = g.parameter("beta", Tensor::zeros({out_c}, spec.dtype));
      mean = g.state("moving_mean", Tensor::zeros({out_c}, spec.dtype));
      var = g.state("moving_variance", Tensor::full({out_c}, spec.dtype, 1.0));
    }
    ops::BatchNormOptions bo;
    bo.decay = options.bn_decay;
    x = graph::relu(graph::batch_norm(y, beta, {}, mean, var, bo));
    net.trainable.insert(net.trainable.end(), {wv, beta});
    net.regularized.push_back(wv);
    net.states.insert(net.states.end(), {mean, var});
    in_c = out_c;
  }
  graph::Value pooled = graph::global_avg_pool(x);
  graph::NameScope scope(g, "Logits");
  Tensor w = Tensor::empty({spec.num_classes, in_c}, spec.dtype);
  w.normal(0.0, std::sqrt(1.0 / static_cast<double>(in_c)), ++seed);
  graph::Value wv = g.parameter("weights", w);
  graph::Value b = g.parameter("biases", Tensor::zeros({spec.num_classes}, spec.dtype));
  net.outputs.push_back(graph::dense(pooled, wv, b));
  net.trainable.insert(net.trainable.end(), {wv, b});
  net.regularized.push_back(wv);
  return net;
}

NetworkBuilder small_cnn_builder(SmallCnnOptions options) {
  return [options](graph::Graph& g, const NetworkSpec& spec) { return small_cnn(g, spec, options); };
}

}  // namespace cutrain::nn
