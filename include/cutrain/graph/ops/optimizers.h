// Graph builders of the optimizers ops (their definition: cutrain/ops/optimizers.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/optimizers.h"

namespace cutrain::graph {

// `momentum_bufs` is empty when momentum is 0, else one per parameter.
std::vector<Value> sgd_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                              const std::vector<Value>& momentum_bufs, const ops::SgdOptions& options);
std::vector<Value> rmsprop_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                                  const std::vector<Value>& ms, const std::vector<Value>& mom,
                                  const ops::RmsPropOptions& options);
std::vector<Value> adam_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                               const std::vector<Value>& m, const std::vector<Value>& v,
                               const ops::AdamOptions& options);
// One ema_update per (shadow, value) pair; returns the tokens.
std::vector<Value> ema_update(const std::vector<Value>& shadows, const std::vector<Value>& values, double decay,
                              int decay_slot = -1);
Value global_norm(const std::vector<Value>& grads);
// Clips by `norm` when given, else by the global norm of `grads`.
std::vector<Value> clip_by_global_norm(const std::vector<Value>& grads, double clip_norm, Value norm = {});

}  // namespace cutrain::graph
