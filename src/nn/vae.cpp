#include "cutrain/nn/vae.h"

#include <cmath>
#include <string>

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/random.h"
#include "cutrain/graph/ops/shape_ops.h"

namespace cutrain::nn {

namespace {

// Parameters of one builder call: He-normal weights with seeds drawn in
// creation order from the spec seed, zero biases.
struct Params {
  graph::Graph& g;
  const NetworkSpec& spec;
  Network& net;
  uint64_t seed;

  graph::Value weight(const Shape& shape, int64_t fan_in) {
    Tensor w = Tensor::empty(shape, spec.dtype);
    w.normal(0.0, std::sqrt(2.0 / static_cast<double>(fan_in)), ++seed);
    graph::Value v = g.parameter("weights", w);
    net.trainable.push_back(v);
    net.regularized.push_back(v);
    return v;
  }
  graph::Value bias(int64_t n) {
    graph::Value v = g.parameter("biases", Tensor::zeros({n}, spec.dtype));
    net.trainable.push_back(v);
    return v;
  }
  graph::Value dense(graph::Value x, int64_t units, const std::string& name) {
    graph::NameScope scope(g, name);
    const int64_t in = x.shape()[1];
    graph::Value w = weight(Shape{units, in}, in);
    return graph::dense(x, w, bias(units));
  }
  graph::Value conv(graph::Value x, int64_t out, int64_t stride, const std::string& name) {
    graph::NameScope scope(g, name);
    const int64_t in = x.shape()[3];
    graph::Value w = weight(Shape{out, 3, 3, in}, 9 * in);
    ops::Conv2dOptions o;
    o.strides = {stride, stride};
    return graph::conv2d(x, w, o, bias(out));
  }
};

}  // namespace

graph::Value vae_sample_loss(graph::Value logits, graph::Value images, graph::Value mu, graph::Value logvar) {
  const graph::Value target = graph::flatten(images);
  CUTRAIN_CHECK(target.shape() == logits.shape(), "vae loss: logits ", logits.shape().str(),
                " do not match the images ", images.shape().str());
  return graph::add(graph::sigmoid_binary_cross_entropy(logits, target, 0.0, /*sum_features=*/true),
                  graph::gaussian_kl(mu, logvar));
}

Network vae_network(graph::Graph& g, const NetworkSpec& spec, const VaeConfig& cfg) {
  CUTRAIN_CHECK(cfg.hidden > 0 && cfg.latent > 0, "vae: hidden and latent sizes must be positive");
  Network net;
  const int64_t n = spec.batch_size;
  const int64_t pixels = int64_t{spec.height} * spec.width * spec.channels;
  net.input = g.input("images", {Shape{n, spec.height, spec.width, spec.channels}, spec.dtype});
  Params p{g, spec, net, spec.seed * 1000003u + 29};

  graph::Value mu, logvar;
  {
    graph::NameScope scope(g, "Encoder");
    graph::Value x = net.input;
    for (size_t i = 0; i < cfg.conv_widths.size(); ++i)
      x = graph::relu(p.conv(x, cfg.conv_widths[i], 2, "Conv2d_" + std::to_string(i + 1)));
    x = graph::relu(p.dense(graph::flatten(x), cfg.hidden, "fc"));
    mu = p.dense(x, cfg.latent, "mu");
    logvar = p.dense(x, cfg.latent, "logvar");
  }
  graph::Value z;
  {
    graph::NameScope scope(g, "Sampling");
    const graph::Value eps = graph::random_normal(g, mu.shape(), spec.dtype, 0.0, 1.0, "eps");
    z = graph::add(mu, graph::mul(graph::exp(graph::scale(logvar, 0.5)), eps));
  }
  graph::Value logits;
  {
    graph::NameScope scope(g, "Decoder");
    graph::Value h = graph::relu(p.dense(z, cfg.hidden, "fc"));
    logits = p.dense(h, pixels, "logits");
  }
  if (cfg.loss == VaeLoss::compiled) {
    net.outputs = {graph::concat({logits, mu, logvar}, 1)};
    net.output_names = {"vae"};
  } else {
    net.outputs = {logits};
    net.output_names = {"reconstruction"};
    net.losses = {vae_sample_loss(logits, net.input, mu, logvar)};
  }
  return net;
}

NetworkBuilder vae_builder(VaeConfig config) {
  return [config](graph::Graph& g, const NetworkSpec& spec) { return vae_network(g, spec, config); };
}

data::Transform unit_interval_transform(int height, int width, int channels) {
  data::Transform t;
  t.height = height;
  t.width = width;
  t.channels = channels;
  t.apply = [height, width, channels](const data::Image& src, data::SampleRng&, float* out) {
    CUTRAIN_CHECK(src.height == height && src.width == width && src.channels == channels, "the image is ",
                  src.height, "x", src.width, "x", src.channels, ", expected ", height, "x", width, "x", channels);
    for (size_t i = 0; i < src.pixels.size(); ++i) out[i] = static_cast<float>(src.pixels[i]) / 255.0f;
  };
  return t;
}

}  // namespace cutrain::nn
