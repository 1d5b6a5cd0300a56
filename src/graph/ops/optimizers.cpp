// Graph builders of the optimizers ops.
#include "cutrain/graph/ops/optimizers.h"

#include "cutrain/core/error.h"

namespace cutrain::graph {

namespace {

void require_counts(const char* op, size_t params, size_t other, const char* what) {
  CUTRAIN_CHECK(other == params, op, ": ", params, " parameters but ", other, " ", what);
}

// Appends a guarded update's flags to its inputs.
void append_update_guard(std::vector<Value>& in, const UpdateGuard& g, bool with_steps) {
  if (!g.found_inf.defined()) return;
  in.push_back(g.found_inf);
  if (with_steps) {
    CUTRAIN_CHECK(g.steps.defined(), "adam_update: a guarded update needs the applied-step count");
    in.push_back(g.steps);
  }
}

}  // namespace

std::vector<Value> sgd_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                              const std::vector<Value>& momentum_bufs, const ops::SgdOptions& options,
                              const UpdateGuard& guard) {
  require_counts("sgd_update", params.size(), grads.size(), "gradients");
  if (!momentum_bufs.empty()) require_counts("sgd_update", params.size(), momentum_bufs.size(), "momentum buffers");
  ops::SgdOptions o = options;
  o.guarded = guard.found_inf.defined();
  std::vector<Value> tokens;
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<Value> in{params[i], grads[i]};
    if (!momentum_bufs.empty()) in.push_back(momentum_bufs[i]);
    append_update_guard(in, guard, false);
    tokens.push_back(params[i].graph->apply1("sgd_update", in, sgd_attrs(o)));
  }
  return tokens;
}
std::vector<Value> rmsprop_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                                  const std::vector<Value>& ms, const std::vector<Value>& mom,
                                  const ops::RmsPropOptions& options, const UpdateGuard& guard) {
  require_counts("rmsprop_update", params.size(), grads.size(), "gradients");
  require_counts("rmsprop_update", params.size(), ms.size(), "ms slots");
  require_counts("rmsprop_update", params.size(), mom.size(), "mom slots");
  ops::RmsPropOptions o = options;
  o.guarded = guard.found_inf.defined();
  std::vector<Value> tokens;
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<Value> in{params[i], grads[i], ms[i], mom[i]};
    append_update_guard(in, guard, false);
    tokens.push_back(params[i].graph->apply1("rmsprop_update", in, rmsprop_attrs(o)));
  }
  return tokens;
}
std::vector<Value> adam_update(const std::vector<Value>& params, const std::vector<Value>& grads,
                               const std::vector<Value>& m, const std::vector<Value>& v,
                               const ops::AdamOptions& options, const UpdateGuard& guard) {
  require_counts("adam_update", params.size(), grads.size(), "gradients");
  require_counts("adam_update", params.size(), m.size(), "m slots");
  require_counts("adam_update", params.size(), v.size(), "v slots");
  ops::AdamOptions o = options;
  o.guarded = guard.found_inf.defined();
  std::vector<Value> tokens;
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<Value> in{params[i], grads[i], m[i], v[i]};
    append_update_guard(in, guard, true);
    tokens.push_back(params[i].graph->apply1("adam_update", in, adam_attrs(o)));
  }
  return tokens;
}
std::vector<Value> ema_update(const std::vector<Value>& shadows, const std::vector<Value>& values, double decay,
                              int decay_slot, const UpdateGuard& guard) {
  require_counts("ema_update", shadows.size(), values.size(), "values");
  Attrs a{{"decay", decay}};
  if (decay_slot >= 0) a.set("decay_slot", int64_t{decay_slot});
  if (guard.found_inf.defined()) a.set("guarded", true);
  std::vector<Value> tokens;
  for (size_t i = 0; i < shadows.size(); ++i) {
    std::vector<Value> in{shadows[i], values[i]};
    append_update_guard(in, guard, false);
    tokens.push_back(shadows[i].graph->apply1("ema_update", in, a));
  }
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

std::vector<Value> clip_by_value(const std::vector<Value>& grads, double clip_value) {
  CUTRAIN_CHECK(!grads.empty(), "clip_by_value of no gradients");
  return grads[0].graph->apply("clip_by_value", grads, {{"clip_value", clip_value}});
}

std::vector<Value> accumulate_gradient(const std::vector<Value>& accs, const std::vector<Value>& grads) {
  require_counts("accumulate_gradient", accs.size(), grads.size(), "gradients");
  std::vector<Value> tokens;
  for (size_t i = 0; i < accs.size(); ++i) tokens.push_back(accs[i].graph->apply1("accumulate_gradient", {accs[i], grads[i]}));
  return tokens;
}

std::vector<Value> take_accumulated(const std::vector<Value>& accs, const std::vector<Value>& grads, double scale) {
  require_counts("take_accumulated", accs.size(), grads.size(), "gradients");
  std::vector<Value> out;
  for (size_t i = 0; i < accs.size(); ++i)
    out.push_back(accs[i].graph->apply1("take_accumulated", {accs[i], grads[i]}, {{"scale", scale}}));
  return out;
}

std::vector<Value> unscale_check_finite(const std::vector<Value>& grads, Value scale) {
  CUTRAIN_CHECK(!grads.empty(), "unscale_check_finite of no gradients");
  std::vector<Value> in = grads;
  in.push_back(scale);
  return grads[0].graph->apply("unscale_check_finite", in);
}

Value update_loss_scale(Value scale, Value growth_tracker, Value steps, Value found_inf,
                        const std::vector<Value>& after, const params::LossScaleUpdate& p) {
  std::vector<Value> in{scale, growth_tracker, steps, found_inf};
  in.insert(in.end(), after.begin(), after.end());
  return scale.graph->apply1("update_loss_scale", in, ops::loss_scale_attrs(p));
}

}  // namespace cutrain::graph
