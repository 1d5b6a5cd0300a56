#include "cutrain/nn/layers.h"

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/batch_norm.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/dropout.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/pool.h"

namespace cutrain::nn {

namespace {

void check_nhwc(Value x, const std::string& layer) {
  CUTRAIN_CHECK(x.defined(), layer, ": the input is undefined");
  CUTRAIN_CHECK(x.shape().rank() == 4, layer, ": expects an NHWC input, got ", x.shape().str());
}

void check_padding(const std::string& padding, const std::string& layer) {
  CUTRAIN_CHECK(padding == "SAME" || padding == "VALID", layer,
                ": padding must be SAME or VALID, got '", padding, "'");
}

// Creates the OHWI weight in the current scope and applies the transform.
Value conv_weight(ModelBuilder& b, Value x, int64_t out_channels, Kernel k, const Initializer& init,
                  bool weight_decay, const WeightTransform& transform, const std::string& layer) {
  CUTRAIN_CHECK(out_channels > 0 && k.h > 0 && k.w > 0, layer,
                ": needs positive channels and kernel, got ", out_channels, " channels, kernel ",
                k.h, "x", k.w);
  const Value w =
      b.parameter("weights", Shape({out_channels, k.h, k.w, x.shape()[3]}), init, weight_decay);
  return transform ? transform(b, w) : w;
}

ops::Conv2dOptions conv_options(int64_t stride, const std::string& padding) {
  ops::Conv2dOptions o;
  o.strides = {stride, stride};
  o.padding = padding;
  return o;
}

ops::PoolOptions pool_options(Kernel k, int64_t stride, const std::string& padding,
                              bool include_pad) {
  ops::PoolOptions o;
  o.window = {k.h, k.w};
  o.strides = {stride, stride};
  o.padding = padding;
  o.count_include_pad = include_pad;
  return o;
}

}  // namespace

Value batch_norm(ModelBuilder& b, Value x, const std::string& name,
                 const BatchNormLayerOptions& options) {
  CUTRAIN_CHECK(x.defined() && x.shape().rank() >= 2, "batch_norm '", b.graph().scoped(name),
                "': needs an [N, ..., C] input");
  graph::NameScope scope(b.graph(), name);
  const Shape c({x.shape()[x.shape().rank() - 1]});
  const Value beta = b.parameter("beta", c, Initializer::zeros(), false);
  Value gamma;
  if (options.gamma) gamma = b.parameter("gamma", c, Initializer::ones(), false);
  const Value mean = b.state("moving_mean", Tensor::zeros(c, b.dtype()), true);
  const Value var = b.state("moving_variance", Tensor::full(c, b.dtype(), 1.0), true);
  ops::BatchNormOptions o;
  o.decay = options.decay;
  o.epsilon = options.epsilon;
  return graph::batch_norm(x, beta, gamma, mean, var, o);
}

Value conv2d_bn_relu(ModelBuilder& b, Value x, int64_t out_channels, Kernel kernel, int64_t stride,
                     const std::string& padding, const std::string& name,
                     const ConvBnOptions& options) {
  const std::string layer = "conv2d_bn_relu '" + b.graph().scoped(name) + "'";
  check_nhwc(x, layer);
  check_padding(padding, layer);
  graph::NameScope scope(b.graph(), name);
  const Value w = conv_weight(b, x, out_channels, kernel, options.weights_init,
                              options.weight_decay, options.weight_transform, layer);
  Value y = graph::conv2d(x, w, conv_options(stride, padding));
  y = batch_norm(b, y, "BatchNorm", options.bn);
  return options.relu ? graph::relu(y) : y;
}

Value conv2d(ModelBuilder& b, Value x, int64_t out_channels, Kernel kernel, int64_t stride,
             const std::string& padding, const std::string& name, const ConvOptions& options) {
  const std::string layer = "conv2d '" + b.graph().scoped(name) + "'";
  check_nhwc(x, layer);
  check_padding(padding, layer);
  graph::NameScope scope(b.graph(), name);
  const Value w = conv_weight(b, x, out_channels, kernel, options.weights_init,
                              options.weight_decay, options.weight_transform, layer);
  Value bias;
  if (options.use_bias)
    bias = b.parameter("biases", Shape({out_channels}), options.biases_init, false);
  return graph::conv2d(x, w, conv_options(stride, padding), bias);
}

Value dense(ModelBuilder& b, Value x, int64_t units, const std::string& name,
            const DenseOptions& options) {
  const std::string layer = "dense '" + b.graph().scoped(name) + "'";
  CUTRAIN_CHECK(x.defined() && x.shape().rank() == 2, layer, ": expects an [N, in] input, got ",
                x.defined() ? x.shape().str() : std::string("<undefined>"));
  CUTRAIN_CHECK(units > 0, layer, ": needs a positive number of units, got ", units);
  graph::NameScope scope(b.graph(), name);
  Value w = b.parameter("weights", Shape({units, x.shape()[1]}), options.weights_init,
                        options.weight_decay);
  if (options.weight_transform) w = options.weight_transform(b, w);
  Value bias;
  if (options.use_bias) bias = b.parameter("biases", Shape({units}), options.biases_init, false);
  return graph::dense(x, w, bias);
}

Value dropout(Value x, double keep_prob, const std::string& name) {
  CUTRAIN_CHECK(keep_prob > 0.0 && keep_prob <= 1.0, "dropout '", name,
                "': keep_prob must be in (0, 1], got ", keep_prob);
  graph::NameScope scope(*x.graph, name);
  return graph::dropout(x, 1.0 - keep_prob);
}

Value max_pool(Value x, Kernel kernel, int64_t stride, const std::string& padding,
               const std::string& name) {
  check_nhwc(x, "max_pool '" + name + "'");
  graph::NameScope scope(*x.graph, name);
  return graph::max_pool(x, pool_options(kernel, stride, padding, false));
}

Value avg_pool(Value x, Kernel kernel, int64_t stride, const std::string& padding,
               const std::string& name, bool count_include_pad) {
  check_nhwc(x, "avg_pool '" + name + "'");
  graph::NameScope scope(*x.graph, name);
  return graph::avg_pool(x, pool_options(kernel, stride, padding, count_include_pad));
}

Value global_avg_pool(Value x, bool keepdims, const std::string& name) {
  check_nhwc(x, "global_avg_pool '" + name + "'");
  graph::NameScope scope(*x.graph, name);
  return graph::global_avg_pool(x, keepdims);
}

}  // namespace cutrain::nn
