#include "cutrain/nn/acgan.h"

#include <cmath>
#include <string>

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/shape_ops.h"

namespace cutrain::nn {

namespace {

graph::Value he_weight(graph::Graph& g, Network& net, const NetworkSpec& spec, const Shape& shape,
                       int64_t fan_in, uint64_t seed) {
  Tensor w = Tensor::empty(shape, spec.dtype);
  w.normal(0.0, std::sqrt(2.0 / static_cast<double>(fan_in)), seed);
  graph::Value v = g.parameter("weights", w);
  net.trainable.push_back(v);
  net.regularized.push_back(v);
  return v;
}

graph::Value zero_bias(graph::Graph& g, Network& net, const NetworkSpec& spec, int64_t n) {
  graph::Value v = g.parameter("biases", Tensor::zeros({n}, spec.dtype));
  net.trainable.push_back(v);
  return v;
}

}  // namespace

Network acgan_discriminator_network(graph::Graph& g, const NetworkSpec& spec, const AcganConfig& cfg) {
  CUTRAIN_CHECK(!cfg.widths.empty(), "acgan discriminator: needs at least one conv width");
  CUTRAIN_CHECK(spec.num_classes > 1, "acgan discriminator: needs at least 2 classes");
  Network net;
  net.input = g.input("images", {Shape{spec.batch_size, spec.height, spec.width, spec.channels}, spec.dtype});
  uint64_t seed = spec.seed * 1000003u + 41;
  graph::Value x = net.input;
  {
    graph::NameScope top(g, "Discriminator");
    for (size_t i = 0; i < cfg.widths.size(); ++i) {
      graph::NameScope scope(g, "Conv2d_" + std::to_string(i + 1));
      const int64_t in = x.shape()[3], out = cfg.widths[i];
      graph::Value w = he_weight(g, net, spec, Shape{out, 3, 3, in}, 9 * in, ++seed);
      ops::Conv2dOptions o;
      o.strides = {2, 2};
      x = graph::leaky_relu(graph::conv2d(x, w, o, zero_bias(g, net, spec, out)), cfg.leaky_slope);
    }
    x = graph::flatten(x);
    const int64_t features = x.shape()[1];
    for (const auto& [name, units] : {std::pair<std::string, int64_t>{"validity", 1},
                                      std::pair<std::string, int64_t>{"class", spec.num_classes}}) {
      graph::NameScope scope(g, name);
      graph::Value w = he_weight(g, net, spec, Shape{units, features}, features, ++seed);
      net.outputs.push_back(graph::dense(x, w, zero_bias(g, net, spec, units)));
      net.output_names.push_back(name);
    }
  }
  return net;
}

NetworkBuilder acgan_discriminator_builder(AcganConfig config) {
  return [config](graph::Graph& g, const NetworkSpec& spec) {
    return acgan_discriminator_network(g, spec, config);
  };
}

RealFakeDataset::RealFakeDataset(std::shared_ptr<const data::Dataset> real) : real_(std::move(real)) {
  CUTRAIN_CHECK(real_ != nullptr && real_->size() > 0, "RealFakeDataset needs a non-empty data set");
}

data::Sample RealFakeDataset::get(int64_t index) const {
  const int64_t n = real_->size();
  CUTRAIN_CHECK(index >= 0 && index < 2 * n, "RealFakeDataset: index ", index, " out of [0, ", 2 * n, ")");
  if (index < n) return real_->get(index);
  data::Sample s = real_->get(index - n);
  const data::Image& src = s.image;
  data::Image fake = src;
  const int dy = 1 + static_cast<int>(index % std::max(1, src.height - 1));
  const int dx = 1 + static_cast<int>((index / 7) % std::max(1, src.width - 1));
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x)
      for (int c = 0; c < src.channels; ++c)
        fake.pixels[(static_cast<size_t>(y) * src.width + x) * src.channels + c] =
            static_cast<uint8_t>(255 - src.at((y + dy) % src.height, (x + dx) % src.width, c));
  s.image = std::move(fake);
  return s;
}

Tensor real_fake_targets(int64_t real_size, DType dtype) {
  std::vector<double> v(static_cast<size_t>(2 * real_size), 0.0);
  for (int64_t i = 0; i < real_size; ++i) v[static_cast<size_t>(i)] = 1.0;
  return Tensor::from_vector({2 * real_size, 1}, v, dtype);
}

}  // namespace cutrain::nn
