// Shared pieces of the Model tests: a tiny linear network (exact hand
// computations) and small synthetic data.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cutrain/data/dataset.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/train/image_data.h"
#include "cutrain/train/model.h"

namespace cutrain::train::testing {

// logits = flatten(x) W^T + b; W regularized.
inline Network linear_net(graph::Graph& g, const NetworkSpec& s) {
  Network n;
  n.input = g.input("images", {Shape{s.batch_size, s.height, s.width, s.channels}, s.dtype});
  const int64_t features = int64_t{s.height} * s.width * s.channels;
  Tensor w = Tensor::empty({s.num_classes, features}, s.dtype);
  w.normal(0.0, 0.3, s.seed + 5);
  Tensor b = Tensor::empty({s.num_classes}, s.dtype);
  b.normal(0.0, 0.1, s.seed + 6);
  graph::NameScope scope(g, "Logits");
  graph::Value wv = g.parameter("weights", w);
  graph::Value bv = g.parameter("biases", b);
  n.outputs.push_back(graph::dense(graph::flatten(n.input), wv, bv));
  n.trainable = {wv, bv};
  n.regularized = {wv};
  return n;
}

inline std::shared_ptr<const data::Dataset> synthetic(int64_t size, int hw, int classes, uint64_t seed,
                                                      float noise = 0.5f) {
  data::SyntheticOptions o;
  o.size = size;
  o.height = o.width = hw;
  o.channels = 1;
  o.num_classes = classes;
  o.seed = seed;
  o.noise = noise;
  return std::make_shared<data::SyntheticDataset>(o);
}

// A file in a per-process temporary folder named after `tag`.
inline std::string temp_path(const std::string& tag, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("cutrain_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// The small CNN's input in the checkpoint and EMA tests: 16 images of
// 10x10x1, 3 classes.
inline NetworkSpec small_cnn_spec() {
  NetworkSpec s;
  s.batch_size = 16;
  s.height = s.width = 10;
  s.channels = 1;
  s.num_classes = 3;
  s.seed = 2;
  return s;
}

}  // namespace cutrain::train::testing
