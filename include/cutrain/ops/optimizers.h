// Optimizer update ops. None has a gradient.
//
// Each update op updates one parameter and its slots in place
// (mutated_inputs) and has one output: a [] token of the parameter's dtype
// holding 0. The executor runs only the nodes its fetches need, so a training
// step fetches the tokens to run the updates. The builders take vectors of
// parameters, gradients and slots and return one token per parameter, so a
// backend may later fuse them into one launch without changing callers.
//
// sgd_update(param, grad, [momentum_buf]) attrs lr, momentum (0), nesterov
//   (false), weight_decay (0). PyTorch semantics with zero dampening:
//   d = g + wd w; buf = momentum buf + d; d = nesterov ? d + momentum buf : buf;
//   w -= lr d. The buffer starts at zeros (then the first step gives buf = d,
//   exactly as PyTorch's first-step copy). It is needed when momentum != 0.
// rmsprop_update(param, grad, ms, mom) attrs lr, decay (0.9), momentum (0),
//   epsilon (1e-10). TF semantics (ApplyRMSProp), epsilon inside the root:
//   ms = decay ms + (1 - decay) g^2; mom = momentum mom + lr g / sqrt(ms + eps);
//   w -= mom. The caller initialises the slots: TF1's
//   tf.compat.v1.train.RMSPropOptimizer (used by TF-slim's Inception recipe)
//   starts ms at ONES, Keras' RMSprop at zeros; mom starts at zeros.
// adam_update(param, grad, m, v) attrs lr (1e-3), beta1 (0.9), beta2 (0.999),
//   epsilon (1e-8), step (1-based, required), weight_decay (0), decoupled
//   (false). PyTorch semantics: Adam adds wd w to g; AdamW (decoupled) first
//   scales w by (1 - lr wd). m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
//   w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). m, v start at 0.
// ema_update(shadow, value) attr decay (in [0, 1]) -> token: the exponential
//   moving average of a parameter (TF ExponentialMovingAverage):
//   shadow -= (1 - decay) (shadow - value), in the tensor's dtype with 1 - decay
//   formed in double (in float, 1 - float(0.9999) is off by 1.7e-4 relative).
//   Only the shadow is mutated. A step puts it after the parameter's update
//   in graph order, so it averages the updated value.
// Per-step values: lr and step of the updates and the EMA decay may also come
//   from the executor's per-step scalars (step_scalars.h) through the int
//   attrs lr_slot, step_slot, decay_slot (the *_slot fields below; -1: none);
//   the plain attrs then only serve where no per-step scalars exist.
// Guarded updates (attr guarded, loss scaling): each update op above takes
//   the step's found_inf flag (f64 [], from unscale_check_finite) after its
//   own inputs, adam_update also the applied-step count (f64 []) after it,
//   and leaves every tensor untouched when the flag is not 0; Adam's step is
//   then the count + 1 (the step attr and slot are ignored). Decided where
//   the kernel runs, so a GPU step needs no host round trip.
// global_norm(g_1, ..., g_k) -> [] = sqrt(sum_k sum(g_k^2)).
// clip_by_global_norm(g_1, ..., g_k, norm []) attr clip_norm -> k outputs
//   g_i * clip_norm / max(norm, clip_norm) (TF's clip_by_global_norm: unchanged
//   while norm <= clip_norm; every output NaN when the norm is not finite).
// clip_by_value(g_1, ..., g_k) attr clip_value (> 0) -> k outputs
//   min(max(g_i, -clip_value), clip_value), NaN kept (Keras clipvalue).
// accumulate_gradient(acc, grad) -> token: acc += grad (acc mutated).
// take_accumulated(acc, grad) attr scale -> (acc + grad) * scale, and acc = 0:
//   the last micro-batch of gradient accumulation (scale 1 / micro-batches).
// unscale_check_finite(g_1, ..., g_k, scale []) -> (g_1 * (1 / scale), ...,
//   g_k * (1 / scale), found_inf f64 []): found_inf = 1 when any g is inf or
//   NaN, else 0 (torch's _amp_foreach_non_finite_check_and_unscale_; 1 / scale
//   formed in double, rounded to the gradients' dtype).
// update_loss_scale(scale [], growth_tracker, steps, found_inf, [after...])
//   attrs growth_factor (2), backoff_factor (0.5), growth_interval (2000),
//   dynamic (true) -> token: torch's _amp_update_scale_ (kernels/optimizers.cuh)
//   and steps += 1 on a finite step. The trailing inputs (the updates' tokens)
//   only order it after every reader of steps and scale.
//
// Graph builders: graph/ops/optimizers.h (no backward rules).
#pragma once

#include <vector>

#include "cutrain/params/optimizers.h"
#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

// The hyperparameters (defaults from params/optimizers.h, the one place
// they are set) and the per-step scalar slots the update reads its lr (and
// Adam's step) from. Separate fields rather than a base struct, so callers
// keep designated initializers ({.lr = 0.1, .momentum = 0.9}).
struct SgdOptions {
  double lr = params::Sgd{}.lr;
  double momentum = params::Sgd{}.momentum;
  bool nesterov = params::Sgd{}.nesterov;
  double weight_decay = params::Sgd{}.weight_decay;
  int lr_slot = -1;
  bool guarded = false;  // takes found_inf (see above)
};

struct RmsPropOptions {
  double lr = params::RmsProp{}.lr;
  double decay = params::RmsProp{}.decay;
  double momentum = params::RmsProp{}.momentum;
  double epsilon = params::RmsProp{}.epsilon;
  int lr_slot = -1;
  bool guarded = false;
};

struct AdamOptions {
  double lr = params::Adam{}.lr;
  double beta1 = params::Adam{}.beta1;
  double beta2 = params::Adam{}.beta2;
  double epsilon = params::Adam{}.epsilon;
  int64_t step = params::Adam{}.step;  // 1-based, for the bias corrections
  double weight_decay = params::Adam{}.weight_decay;
  bool decoupled = params::Adam{}.decoupled;  // AdamW
  int lr_slot = -1, step_slot = -1;
  bool guarded = false;  // takes found_inf and steps
};

Attrs sgd_attrs(const SgdOptions& o);
Attrs rmsprop_attrs(const RmsPropOptions& o);
Attrs adam_attrs(const AdamOptions& o);

// An update node's attributes, read and range-checked once for every backend
// (errors name `op`); the lr and Adam's step as written in the attributes,
// which kernels replace by the per-step scalars when the node has slots.
params::Sgd sgd_params(const std::string& op, const Attrs& a);
params::RmsProp rmsprop_params(const std::string& op, const Attrs& a);
params::Adam adam_params(const std::string& op, const Attrs& a);
params::LossScaleUpdate loss_scale_params(const std::string& op, const Attrs& a);
Attrs loss_scale_attrs(const params::LossScaleUpdate& p);

}  // namespace cutrain::ops
