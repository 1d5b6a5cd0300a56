// Graph builders of the optimizers ops (their definition: cutrain/ops/optimizers.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/optimizers.h"

namespace cutrain::graph {

// The flags of a loss-scaled step that guard the updates (ops/optimizers.h);
// undefined found_inf: unguarded. `steps` is read by Adam only.
struct UpdateGuard {
  Value found_inf, steps;
};

// `momentum_bufs` is empty when momentum is 0, else one per parameter.
std::vector<Value> sgd_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                              const std::vector<Value>& momentum_bufs, const ops::SgdOptions& options,
                              const UpdateGuard& guard = {});
std::vector<Value> rmsprop_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                                  const std::vector<Value>& ms, const std::vector<Value>& mom,
                                  const ops::RmsPropOptions& options, const UpdateGuard& guard = {});
std::vector<Value> adam_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                               const std::vector<Value>& m, const std::vector<Value>& v,
                               const ops::AdamOptions& options, const UpdateGuard& guard = {});
// One ema_update per (shadow, value) pair; returns the tokens.
std::vector<Value> ema_update(const std::vector<Value>& shadows, const std::vector<Value>& values, double decay,
                              int decay_slot = -1, const UpdateGuard& guard = {});
Value global_norm(const std::vector<Value>& grads);
// Clips by `norm` when given, else by the global norm of `grads`.
std::vector<Value> clip_by_global_norm(const std::vector<Value>& grads, double clip_norm, Value norm = {});
// Element-wise clip to [-clip_value, clip_value] (Keras clipvalue).
std::vector<Value> clip_by_value(const std::vector<Value>& grads, double clip_value);
// Gradient accumulation: one accumulate_gradient per (acc, grad) pair
// (tokens), or the sums (acc + grad) * scale with the accumulators zeroed.
std::vector<Value> accumulate_gradient(const std::vector<Value>& accs, const std::vector<Value>& grads);
std::vector<Value> take_accumulated(const std::vector<Value>& accs, const std::vector<Value>& grads, double scale);
// The gradients divided by the loss scale, then found_inf (f64 []).
std::vector<Value> unscale_check_finite(const std::vector<Value>& grads, Value scale);
// Updates scale, growth tracker and applied-step count from found_inf,
// ordered after `after` (the update tokens); returns its token.
Value update_loss_scale(Value scale, Value growth_tracker, Value steps, Value found_inf,
                        const std::vector<Value>& after, const params::LossScaleUpdate& p);

}  // namespace cutrain::graph
