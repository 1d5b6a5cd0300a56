// Random ops, with their graph builders.
//
//   random_normal()  attrs shape (ints), dtype ("f32"/"f64"), mean (0), stddev (1)
//                    -> a fresh N(mean, stddev^2) sample of that shape
//
// No inputs and no gradient: a sample is a constant of its step (the VAE's
// reparameterisation z = mu + exp(logvar / 2) * eps differentiates through
// mu and logvar, never through eps). The numbers come from Philox keyed by
// the node's seed (graph seed mixed with node id) with the executor step in
// the high counter word, like dropout: the same (graph seed, node, step) gives
// the same sample on every backend, and every training step a new one. The
// exact rule is in cutrain/cpu/random.h. It samples in evaluation too
// (training has no effect), as Keras' random ops do.
#pragma once

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

Value random_normal(graph::Graph& g, const Shape& shape, DType dtype, double mean = 0.0,
                    double stddev = 1.0, const std::string& name = "");

}  // namespace cutrain::ops
