// Batch normalization over the last (channel) axis: NHWC activations or
// [N, C] dense features.
//
//   batch_norm(x, beta, running_mean, running_var [, gamma])
//       -> (y, saved_mean [C], saved_invstd [C])
//     attrs: epsilon (default 0.001), decay (default 0.9997; torch momentum m is
//            decay 1 - m), has_gamma (optional; must match the inputs)
//     Training (OpContext::training) normalizes with the batch mean and the
//     biased batch variance and updates running = decay * running +
//     (1 - decay) * batch with the unbiased variance; eval uses the running
//     statistics. running_mean and running_var (inputs 2 and 3) are mutated in
//     place and get no gradient. The optional gamma comes last so those
//     indices do not depend on it; without gamma the scale is 1 (slim's
//     beta-only default). saved_mean/saved_invstd are the statistics used.
//   batch_norm_grad(dy, x, saved_mean, saved_invstd [, gamma]) -> (dx, dbeta [, dgamma])
//   batch_norm_stats_grad(x, saved_mean, saved_invstd, dmean, dinvstd) -> dx
//     (gradients that reach the saved statistics; zero in eval)
//   attr inference (bool, default false) on any of the three: the node runs in
//     eval mode even in a training run (the batch norm of frozen layers, as
//     Keras runs a BatchNormalization with trainable = False).
//
// Graph builders: graph/ops/batch_norm.h; backward rules: src/graph/grads/batch_norm_grad.cpp.
#pragma once

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

struct OpContext;
// The mode a batch-norm family kernel runs in: the run's, unless the node is
// pinned to inference (attr "inference").
bool batch_norm_training(const OpContext& ctx);

struct BatchNormOptions {
  double epsilon = 0.001;
  double decay = 0.9997;

  Attrs attrs() const;
};

}  // namespace cutrain::ops
