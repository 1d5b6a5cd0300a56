// Layer builders over a ModelBuilder, TF-slim style: each opens a name scope
// `name`, creates its parameters there with slim's names (weights, biases,
// BatchNorm/beta, BatchNorm/gamma, BatchNorm/moving_mean,
// BatchNorm/moving_variance) and returns the layer's output value.
//
// Activations are NHWC, conv weights OHWI [out, kh, kw, in], dense weights
// [out, in]. Padding is "SAME" or "VALID" (TensorFlow's rule, ops/padding.h).
#pragma once

#include <cstdint>
#include <string>

#include "cutrain/nn/model.h"

namespace cutrain::nn {

struct Kernel {
  int64_t h = 1, w = 1;
};

struct BatchNormLayerOptions {
  bool gamma = false;  // slim's Inception arg scope: beta only
  double decay = 0.9997;
  double epsilon = 0.001;
};

// conv (no bias) -> batch norm -> relu: slim's conv2d under the Inception arg scope.
struct ConvBnOptions {
  Initializer weights_init = Initializer::variance_scaling();
  bool weight_decay = true;
  BatchNormLayerOptions bn;
  bool relu = true;
  WeightTransform weight_transform;  // empty: use the weight as is
};
Value conv2d_bn_relu(ModelBuilder& b, Value x, int64_t out_channels, Kernel kernel, int64_t stride,
                     const std::string& padding, const std::string& name,
                     const ConvBnOptions& options = {});

// conv with a bias and no normalization or activation (classifier convs).
struct ConvOptions {
  Initializer weights_init = Initializer::variance_scaling();
  Initializer biases_init = Initializer::zeros();
  bool use_bias = true;
  bool weight_decay = true;
  WeightTransform weight_transform;
};
Value conv2d(ModelBuilder& b, Value x, int64_t out_channels, Kernel kernel, int64_t stride,
             const std::string& padding, const std::string& name, const ConvOptions& options = {});

// x [N, in] -> x·wᵀ + bias [N, units].
struct DenseOptions {
  Initializer weights_init = Initializer::variance_scaling();
  Initializer biases_init = Initializer::zeros();
  bool use_bias = true;
  bool weight_decay = true;
  WeightTransform weight_transform;
};
Value dense(ModelBuilder& b, Value x, int64_t units, const std::string& name,
            const DenseOptions& options = {});

// Batch norm over the last axis, in scope `name` (slim: "BatchNorm").
Value batch_norm(ModelBuilder& b, Value x, const std::string& name = "BatchNorm",
                 const BatchNormLayerOptions& options = {});

// Inverted dropout that keeps `keep_prob` (slim's argument; the op takes the rate).
Value dropout(Value x, double keep_prob, const std::string& name);

Value max_pool(Value x, Kernel kernel, int64_t stride, const std::string& padding,
               const std::string& name);
// count_include_pad: torchvision's divisor (TensorFlow's default leaves padding out).
Value avg_pool(Value x, Kernel kernel, int64_t stride, const std::string& padding,
               const std::string& name, bool count_include_pad = false);
Value global_avg_pool(Value x, bool keepdims, const std::string& name);

}  // namespace cutrain::nn
