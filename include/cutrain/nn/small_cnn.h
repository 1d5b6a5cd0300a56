// A small convolutional classifier built from the same pieces as Inception
// V3 (conv -> batch norm with beta only -> ReLU, slim names), for tests,
// quick CLI runs and tuning: n conv blocks (3x3, the first stride 1, the
// others stride 2), global average pooling, and a dense classifier with bias.
#pragma once

#include <vector>

#include "cutrain/nn/network.h"

namespace cutrain::nn {

struct SmallCnnOptions {
  std::vector<int64_t> channels{16, 32, 64};
  double bn_decay = 0.99;
};

// Parameters: "Conv2d_<i>/weights" (OHWI, variance scaling fan-in, factor 2),
// "Conv2d_<i>/BatchNorm/beta", states ".../moving_mean|moving_variance",
// "Logits/weights" [classes, C], "Logits/biases". Conv and dense weights are
// regularized.
Network small_cnn(graph::Graph& g, const NetworkSpec& spec, const SmallCnnOptions& options = {});
NetworkBuilder small_cnn_builder(SmallCnnOptions options = {});

}  // namespace cutrain::nn
