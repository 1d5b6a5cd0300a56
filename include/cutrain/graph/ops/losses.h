// Graph builders of the losses ops (their definition: cutrain/ops/losses.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/losses.h"

namespace cutrain::graph {

Value softmax_cross_entropy(Value logits, Value labels, double label_smoothing = 0.0);
Value sigmoid_binary_cross_entropy(Value logits, Value targets, double label_smoothing = 0.0,
                                   bool sum_features = false);
Value mean_squared_error(Value pred, Value target);
Value gaussian_kl(Value mu, Value logvar);
// `weights` may be undefined (every weight 1).
Value weighted_loss_reduce(Value per_sample, Value weights = {},
                           const std::string& mode = "sum_over_batch_size");

}  // namespace cutrain::graph
