#include "cutrain/nn/sngan.h"

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/nn/layers.h"
#include "cutrain/nn/spectral_norm.h"

namespace cutrain::nn {

Value upsample_nearest2x(Value x) {
  CUTRAIN_CHECK(x.defined() && x.shape().rank() == 4, "upsample_nearest2x: expects NHWC, got ",
                x.defined() ? x.shape().str() : std::string("<undefined>"));
  const Shape& s = x.shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  Value y = graph::reshape(x, Shape({n, h, 1, w, 1, c}));
  y = graph::broadcast_to(y, Shape({n, h, 2, w, 2, c}));
  return graph::reshape(y, Shape({n, 2 * h, 2 * w, c}));
}

namespace {

BatchNormLayerOptions gan_bn() {
  BatchNormLayerOptions o;
  o.gamma = true;
  o.decay = 0.9;
  o.epsilon = 1e-5;
  return o;
}

// PyTorch's default conv/linear init is kaiming_uniform(a = sqrt(5)), a
// uniform with variance 1 / (3 fan_in); variance_scaling(1/3) is the
// truncated-normal counterpart with that variance.
Initializer torch_like_init() {
  return Initializer::variance_scaling(1.0 / 3.0);
}

ConvOptions conv_opts(WeightTransform t) {
  ConvOptions o;
  o.weights_init = torch_like_init();
  o.weight_decay = false;
  o.weight_transform = std::move(t);
  return o;
}

}  // namespace

Value sngan_generator(ModelBuilder& b, Value z, const SnGanConfig& cfg) {
  CUTRAIN_CHECK(cfg.g_widths.size() == 3 && cfg.image_size % 4 == 0,
                "sngan_generator: needs 3 widths and an image size divisible by 4");
  CUTRAIN_CHECK(z.shape().rank() == 2 && z.shape()[1] == cfg.z_dim, "sngan_generator: z must be [N, ",
                cfg.z_dim, "], got ", z.shape().str());
  graph::NameScope scope(b.graph(), "Generator");
  const int64_t n = z.shape()[0], s0 = cfg.image_size / 4;
  DenseOptions d;
  d.weights_init = torch_like_init();
  d.weight_decay = false;
  d.use_bias = false;  // batch norm's beta follows
  Value x = dense(b, z, s0 * s0 * cfg.g_widths[0], "fc", d);
  x = graph::relu(batch_norm(b, x, "fc_bn", gan_bn()));
  x = graph::reshape(x, Shape({n, s0, s0, cfg.g_widths[0]}));
  for (int i = 1; i <= 2; ++i) {
    x = upsample_nearest2x(x);
    const std::string name = "conv" + std::to_string(i);
    ConvOptions o = conv_opts({});
    o.use_bias = false;  // batch norm's beta follows
    x = conv2d(b, x, cfg.g_widths[static_cast<size_t>(i)], {3, 3}, 1, "SAME", name, o);
    x = graph::relu(batch_norm(b, x, name + "_bn", gan_bn()));
  }
  x = conv2d(b, x, cfg.channels, {3, 3}, 1, "SAME", "conv_out", conv_opts({}));
  return graph::tanh(x);
}

Value sngan_discriminator(ModelBuilder& b, Value x, const SnGanConfig& cfg) {
  CUTRAIN_CHECK(cfg.d_widths.size() == 3, "sngan_discriminator: needs 3 widths");
  graph::NameScope scope(b.graph(), "Discriminator");
  WeightTransform sn;
  if (cfg.spectral_norm) sn = spectral_norm(cfg.n_power_iterations);
  const auto& w = cfg.d_widths;
  x = graph::leaky_relu(conv2d(b, x, w[0], {3, 3}, 1, "SAME", "conv1", conv_opts(sn)), cfg.leaky_slope);
  x = graph::leaky_relu(conv2d(b, x, w[1], {4, 4}, 2, "SAME", "conv2", conv_opts(sn)), cfg.leaky_slope);
  x = graph::leaky_relu(conv2d(b, x, w[2], {3, 3}, 2, "SAME", "conv3", conv_opts(sn)), cfg.leaky_slope);
  x = graph::flatten(x);
  DenseOptions d;
  d.weights_init = torch_like_init();
  d.weight_decay = false;
  d.weight_transform = sn;
  return dense(b, x, 1, "fc", d);
}

HingeLosses hinge_losses(Value d_real, Value d_fake) {
  HingeLosses l;
  l.d_loss = graph::add(graph::mean(graph::relu(graph::add_scalar(graph::neg(d_real), 1.0))),
                      graph::mean(graph::relu(graph::add_scalar(d_fake, 1.0))));
  l.g_loss = graph::neg(graph::mean(d_fake));
  return l;
}

FeatureNet feature_classifier(ModelBuilder& b, Value x, int64_t feature_dim, int64_t num_classes) {
  graph::NameScope scope(b.graph(), "FeatureNet");
  ConvOptions c;
  c.weight_decay = false;
  x = graph::relu(conv2d(b, x, 32, {3, 3}, 1, "SAME", "conv1", c));
  x = max_pool(x, {2, 2}, 2, "VALID", "pool1");
  x = graph::relu(conv2d(b, x, 64, {3, 3}, 1, "SAME", "conv2", c));
  x = max_pool(x, {2, 2}, 2, "VALID", "pool2");
  x = graph::flatten(x);
  DenseOptions d;
  d.weight_decay = false;
  FeatureNet f;
  f.features = graph::relu(dense(b, x, feature_dim, "fc1", d));
  d.weights_init = Initializer::variance_scaling(1.0);
  f.logits = dense(b, f.features, num_classes, "logits", d);
  return f;
}

}  // namespace cutrain::nn
