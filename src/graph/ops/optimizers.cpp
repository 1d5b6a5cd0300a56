// Graph builders of the optimizers ops.
#include "cutrain/graph/ops/optimizers.h"

#include "cutrain/core/error.h"

namespace cutrain::graph {

namespace {

void require_counts(const char* op, size_t params, size_t other, const char* what) {
  CUTRAIN_CHECK(other == params, op, ": ", params, " parameters but ", other, " ", what);
}

}  // namespace

std::vector<Value> sgd_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                              const std::vector<Value>& momentum_bufs, const ops::SgdOptions& options) {
  require_counts("sgd_update", params.size(), grads.size(), "gradients");
  if (!momentum_bufs.empty()) require_counts("sgd_update", params.size(), momentum_bufs.size(), "momentum buffers");
  std::vector<Value> tokens;
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<Value> in{params[i], grads[i]};
    if (!momentum_bufs.empty()) in.push_back(momentum_bufs[i]);
    tokens.push_back(params[i].graph->apply1("sgd_update", in, sgd_attrs(options)));
  }
  return tokens;
}
std::vector<Value> rmsprop_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                                  const std::vector<Value>& ms, const std::vector<Value>& mom,
                                  const ops::RmsPropOptions& options) {
  require_counts("rmsprop_update", params.size(), grads.size(), "gradients");
  require_counts("rmsprop_update", params.size(), ms.size(), "ms slots");
  require_counts("rmsprop_update", params.size(), mom.size(), "mom slots");
  std::vector<Value> tokens;
  for (size_t i = 0; i < params.size(); ++i)
    tokens.push_back(params[i].graph->apply1("rmsprop_update", {params[i], grads[i], ms[i], mom[i]},
                                             rmsprop_attrs(options)));
  return tokens;
}
std::vector<Value> adam_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                               const std::vector<Value>& m, const std::vector<Value>& v,
                               const ops::AdamOptions& options) {
  require_counts("adam_update", params.size(), grads.size(), "gradients");
  require_counts("adam_update", params.size(), m.size(), "m slots");
  require_counts("adam_update", params.size(), v.size(), "v slots");
  std::vector<Value> tokens;
  for (size_t i = 0; i < params.size(); ++i)
    tokens.push_back(params[i].graph->apply1("adam_update", {params[i], grads[i], m[i], v[i]}, adam_attrs(options)));
  return tokens;
}
std::vector<Value> ema_update(const std::vector<Value>& shadows, const std::vector<Value>& values, double decay,
                              int decay_slot) {
  require_counts("ema_update", shadows.size(), values.size(), "values");
  Attrs a{{"decay", decay}};
  if (decay_slot >= 0) a.set("decay_slot", int64_t{decay_slot});
  std::vector<Value> tokens;
  for (size_t i = 0; i < shadows.size(); ++i)
    tokens.push_back(shadows[i].graph->apply1("ema_update", {shadows[i], values[i]}, a));
  return tokens;
}
Value global_norm(const std::vector<Value>& grads) {
  CUTRAIN_CHECK(!grads.empty(), "global_norm of no gradients");
  return grads[0].graph->apply1("global_norm", grads);
}
std::vector<Value> clip_by_global_norm(const std::vector<Value>& grads, double clip_norm, Value norm) {
  CUTRAIN_CHECK(!grads.empty(), "clip_by_global_norm of no gradients");
  std::vector<Value> in = grads;
  in.push_back(norm.defined() ? norm : global_norm(grads));
  return grads[0].graph->apply("clip_by_global_norm", in, {{"clip_norm", clip_norm}});
}

}  // namespace cutrain::graph
