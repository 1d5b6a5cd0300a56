#include "cutrain/train/optimizer.h"

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/planned_executor.h"

namespace cutrain::train {

OptimizerConfig sgd(SchedulePtr lr, double momentum, bool nesterov) {
  OptimizerConfig c;
  c.kind = OptimizerKind::sgd;
  c.learning_rate = std::move(lr);
  c.momentum = momentum;
  c.nesterov = nesterov;
  return c;
}

OptimizerConfig rmsprop(SchedulePtr lr, double rho, double momentum, double epsilon) {
  OptimizerConfig c;
  c.kind = OptimizerKind::rmsprop;
  c.learning_rate = std::move(lr);
  c.rho = rho;
  c.momentum = momentum;
  c.epsilon = epsilon;
  return c;
}

OptimizerConfig adam(SchedulePtr lr, double beta1, double beta2, double epsilon) {
  OptimizerConfig c;
  c.kind = OptimizerKind::adam;
  c.learning_rate = std::move(lr);
  c.beta1 = beta1;
  c.beta2 = beta2;
  c.epsilon = epsilon;
  return c;
}

OptimizerConfig adamw(SchedulePtr lr, double weight_decay, double beta1, double beta2, double epsilon) {
  OptimizerConfig c = adam(std::move(lr), beta1, beta2, epsilon);
  c.kind = OptimizerKind::adamw;
  c.weight_decay = weight_decay;
  return c;
}

OptimizerConfig optimizer_by_name(const std::string& name, SchedulePtr lr) {
  if (name == "sgd") return sgd(std::move(lr));
  if (name == "momentum") return sgd(std::move(lr), 0.9);
  if (name == "nesterov") return sgd(std::move(lr), 0.9, true);
  if (name == "rmsprop") return rmsprop(std::move(lr), 0.9, 0.9, 1.0);
  if (name == "adam") return adam(std::move(lr));
  if (name == "adamw") return adamw(std::move(lr), 0.01);
  throw Error("unknown optimizer '" + name + "' (expected sgd, momentum, nesterov, rmsprop, adam or adamw)");
}

std::string optimizer_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::sgd: return "sgd";
    case OptimizerKind::rmsprop: return "rmsprop";
    case OptimizerKind::adam: return "adam";
    case OptimizerKind::adamw: return "adamw";
  }
  return "?";
}

namespace {

std::vector<graph::Value> make_slots(graph::Graph& g, const std::vector<graph::Value>& params,
                                     const std::string& slot, double init, OptimizerGraph& out) {
  std::vector<graph::Value> slots;
  for (const graph::Value& p : params) {
    const Tensor& w = g.tensor_of(p);
    Tensor t = Tensor::full(w.shape(), w.dtype(), init);
    slots.push_back(g.state(g.node(p.node).name + "/" + slot, t));
    out.slots.push_back(slots.back());
  }
  return slots;
}

}  // namespace

OptimizerGraph build_optimizer(graph::Graph& g, const OptimizerConfig& c,
                               const std::vector<graph::Value>& params,
                               const std::vector<graph::Value>& grads, const graph::UpdateGuard& guard) {
  CUTRAIN_CHECK(params.size() == grads.size(), "optimizer: ", params.size(), " parameters but ",
                grads.size(), " gradients");
  OptimizerGraph out;
  const double lr = c.initial_lr();
  out.lr_slot = g.step_scalar("optimizer/lr");
  out.step_slot = g.step_scalar("optimizer/step");
  switch (c.kind) {
    case OptimizerKind::sgd: {
      std::vector<graph::Value> bufs;
      if (c.momentum != 0) bufs = make_slots(g, params, "momentum", 0.0, out);
      ops::SgdOptions o;
      o.lr = lr;
      o.momentum = c.momentum;
      o.nesterov = c.nesterov;
      o.weight_decay = c.weight_decay;
      o.lr_slot = out.lr_slot;
      out.tokens = graph::sgd_update(params, grads, bufs, o, guard);
      break;
    }
    case OptimizerKind::rmsprop: {
      auto ms = make_slots(g, params, "rms", c.rmsprop_ms_init_ones ? 1.0 : 0.0, out);
      auto mom = make_slots(g, params, "momentum", 0.0, out);
      ops::RmsPropOptions o;
      o.lr = lr;
      o.decay = c.rho;
      o.momentum = c.momentum;
      if (c.epsilon >= 0) o.epsilon = c.epsilon;  // else the rule's default (params/optimizers.h)
      o.lr_slot = out.lr_slot;
      out.tokens = graph::rmsprop_update(params, grads, ms, mom, o, guard);
      break;
    }
    case OptimizerKind::adam:
    case OptimizerKind::adamw: {
      auto m = make_slots(g, params, "m", 0.0, out);
      auto v = make_slots(g, params, "v", 0.0, out);
      ops::AdamOptions o;
      o.lr = lr;
      o.beta1 = c.beta1;
      o.beta2 = c.beta2;
      if (c.epsilon >= 0) o.epsilon = c.epsilon;
      o.weight_decay = c.weight_decay;
      o.decoupled = c.kind == OptimizerKind::adamw;
      o.lr_slot = out.lr_slot;
      o.step_slot = out.step_slot;
      out.tokens = graph::adam_update(params, grads, m, v, o, guard);
      break;
    }
  }
  return out;
}

void set_step_attrs(graph::Graph& g, const OptimizerGraph& opt, double lr, int64_t step) {
  for (const graph::Value& t : opt.tokens) {
    graph::Node& n = g.mutable_node(t.node);
    n.attrs.set("lr", lr);
    if (n.attrs.has("step")) n.attrs.set("step", step);
  }
}

void set_step_scalars(graph::PlannedExecutor& exec, const OptimizerGraph& opt, double lr, int64_t step) {
  exec.set_step_scalar(opt.lr_slot, lr);
  exec.set_step_scalar(opt.step_slot, static_cast<double>(step));
}

}  // namespace cutrain::train
