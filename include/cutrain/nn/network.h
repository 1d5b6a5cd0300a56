// Network: what a network builder hands to the training step. The builder
// appends the forward graph for a given batch size to a Graph and names the
// input (f32/f64 NHWC images), the outputs (logits per head; output 0 is the
// main head the metrics read), the trainable parameters, the L2-decayed
// weights, the state (BN running statistics) and any losses the network adds
// itself (a VAE's KL). It knows nothing of losses, optimizers or fitting:
// train::Model compiles it into a step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/dtype.h"
#include "cutrain/graph/graph.h"

namespace cutrain::nn {

struct NetworkSpec {
  int64_t batch_size = 32;
  int height = 32, width = 32, channels = 3;
  int num_classes = 10;
  DType dtype = DType::f32;
  uint64_t seed = 0;  // initialisation seed
};

struct Network {
  graph::Value input;                     // [batch, H, W, C] images
  std::vector<graph::Value> outputs;      // per head: logits [batch, classes] or any [batch, ...]
  std::vector<std::string> output_names;  // empty: "output_<i>"
  std::vector<graph::Value> trainable;    // parameters the optimizer updates
  std::vector<graph::Value> regularized;  // weights with L2 decay (subset of trainable)
  std::vector<graph::Value> states;       // BN running statistics and other state
  std::vector<graph::Value> losses;       // added losses: [batch] per sample, or scalars
};

// Appends the network to a graph (train::Model creates it with the compile seed).
using NetworkBuilder = std::function<Network(graph::Graph&, const NetworkSpec&)>;

// A network that brings its own graph (nn::Model-based networks create theirs).
struct OwnedNetwork {
  std::unique_ptr<graph::Graph> graph;
  Network network;
};
using GraphNetworkBuilder = std::function<OwnedNetwork(const NetworkSpec&)>;

}  // namespace cutrain::nn
