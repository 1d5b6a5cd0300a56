// Optimizer op family: in-place parameter updates (one node per parameter,
// each returning a [] token) and global-norm gradient clipping.
#include "cutrain/ops/optimizers.h"

#include "cutrain/core/error.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/optimizers.h"
#include "cutrain/ops/step_scalars.h"

namespace cutrain::ops {

namespace {

using Specs = std::vector<TensorSpec>;
using Tensors = std::vector<Tensor>;

// param floating point; every other listed input has its shape and dtype.
void require_like_param(const std::string& op, const Specs& in, const std::vector<const char*>& names) {
  CUTRAIN_OP_CHECK(op, is_floating(in[0].dtype), "param must be floating point, got ", in[0].str());
  for (size_t i = 1; i < in.size(); ++i)
    CUTRAIN_OP_CHECK(op, in[i] == in[0], names[i], " ", in[i].str(), " must match param ", in[0].str());
}

Specs token(const TensorSpec& param) { return {{Shape{}, param.dtype}}; }

void write_token(const Tensor& t) { store_from_double(t.raw_data(), t.dtype(), 0.0); }

void require_non_negative(const std::string& op, const char* name, double v) {
  CUTRAIN_OP_CHECK(op, v >= 0, name, " must be >= 0, got ", v);
}

void add_sgd(OpRegistry& r) {
  OpSchema s;
  s.name = "sgd_update";
  s.num_inputs = -1;
  s.min_inputs = 2;
  s.mutated_inputs = {0, 2};  // 2 only when the momentum buffer is given
  s.nondifferentiable_inputs = {0, 1, 2};
  s.doc = "(param, grad, [momentum_buf]) -> token []; attrs lr, momentum, nesterov, weight_decay";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "sgd_update";
    CUTRAIN_OP_CHECK(op, in.size() <= 3, "takes param, grad and optional momentum_buf, got ", specs_str(in));
    require_like_param(op, in, {"param", "grad", "momentum_buf"});
    const params::Sgd p = sgd_params(op, a);
    CUTRAIN_OP_CHECK(op, p.momentum == 0.0 || in.size() == 3, "momentum ", p.momentum, " needs a momentum_buf input");
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    params::Sgd p = sgd_params(c.op_name, c.attrs);
    p.lr = step_scalar_or_attr(c, "lr", p.lr);
    cpu::sgd_update(c.op_name, p, in[0], in[1], in.size() > 2 ? in[2] : Tensor{});
    write_token(out[0]);
  });
  r.add(std::move(s));
}

void add_rmsprop(OpRegistry& r) {
  OpSchema s;
  s.name = "rmsprop_update";
  s.num_inputs = 4;
  s.mutated_inputs = {0, 2, 3};
  s.nondifferentiable_inputs = {0, 1, 2, 3};
  s.doc = "(param, grad, ms, mom) -> token []; TF RMSProp; attrs lr, decay, momentum, epsilon";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "rmsprop_update";
    require_like_param(op, in, {"param", "grad", "ms", "mom"});
    rmsprop_params(op, a);
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    params::RmsProp p = rmsprop_params(c.op_name, c.attrs);
    p.lr = step_scalar_or_attr(c, "lr", p.lr);
    cpu::rmsprop_update(c.op_name, p, in[0], in[1], in[2], in[3]);
    write_token(out[0]);
  });
  r.add(std::move(s));
}

void add_adam(OpRegistry& r) {
  OpSchema s;
  s.name = "adam_update";
  s.num_inputs = 4;
  s.mutated_inputs = {0, 2, 3};
  s.nondifferentiable_inputs = {0, 1, 2, 3};
  s.doc = "(param, grad, m, v) -> token []; attrs lr, beta1, beta2, epsilon, step, weight_decay, decoupled";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "adam_update";
    require_like_param(op, in, {"param", "grad", "m", "v"});
    adam_params(op, a);
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    params::Adam p = adam_params(c.op_name, c.attrs);
    p.lr = step_scalar_or_attr(c, "lr", p.lr);
    const int step_slot = step_scalar_slot(c, "step");
    if (step_slot >= 0) p.step = static_cast<int64_t>(c.step_scalars.data<double>()[step_slot]);
    cpu::adam_update(c.op_name, p, in[0], in[1], in[2], in[3]);
    write_token(out[0]);
  });
  r.add(std::move(s));
}

void add_ema(OpRegistry& r) {
  OpSchema s;
  s.name = "ema_update";
  s.num_inputs = 2;
  s.mutated_inputs = {0};
  s.nondifferentiable_inputs = {0, 1};
  s.doc = "(shadow, value) -> token []; shadow -= (1 - decay) (shadow - value); attr decay";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "ema_update";
    require_like_param(op, in, {"shadow", "value"});
    const double decay = a.f("decay");
    CUTRAIN_OP_CHECK(op, decay >= 0 && decay <= 1, "decay must be in [0, 1], got ", decay);
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::ema_update(c.op_name, step_scalar_or_attr(c, "decay", c.attrs.f("decay")), in[0], in[1]);
    write_token(out[0]);
  });
  r.add(std::move(s));
}

void require_same_dtype(const std::string& op, const Specs& in) {
  for (const TensorSpec& t : in)
    CUTRAIN_OP_CHECK(op, is_floating(t.dtype) && t.dtype == in[0].dtype,
                     "inputs must share one floating-point dtype, got ", specs_str(in));
}

void add_clipping(OpRegistry& r) {
  OpSchema s;
  s.name = "global_norm";
  s.num_inputs = -1;
  s.min_inputs = 1;
  s.doc = "(g_1, ..., g_k) -> [] = sqrt(sum of every g^2)";
  s.infer = [](const Attrs&, const Specs& in) {
    require_same_dtype("global_norm", in);
    return Specs{{Shape{}, in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::global_norm(c.op_name, in, out[0]);
  });
  r.add(std::move(s));

  OpSchema cl;
  cl.name = "clip_by_global_norm";
  cl.num_inputs = -1;
  cl.min_inputs = 2;
  cl.num_outputs = -1;
  cl.doc = "(g_1, ..., g_k, norm []) -> g_i * clip_norm / max(norm, clip_norm); attr clip_norm";
  cl.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "clip_by_global_norm";
    require_same_dtype(op, in);
    CUTRAIN_OP_CHECK(op, in.back().shape.numel() == 1, "the last input is the norm (one element), got ",
                     in.back().str());
    CUTRAIN_OP_CHECK(op, a.f("clip_norm") > 0, "clip_norm must be > 0, got ", a.f("clip_norm"));
    return Specs(in.begin(), in.end() - 1);
  };
  cl.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::clip_by_global_norm(c.op_name, c.attrs.f("clip_norm"), Tensors(in.begin(), in.end() - 1), in.back(), out);
  });
  r.add(std::move(cl));
}

}  // namespace

params::Sgd sgd_params(const std::string& op, const Attrs& a) {
  params::Sgd p;
  p.lr = a.f("lr", p.lr);
  p.momentum = a.f("momentum", p.momentum);
  p.nesterov = a.b("nesterov", p.nesterov);
  p.weight_decay = a.f("weight_decay", p.weight_decay);
  require_non_negative(op, "lr", p.lr);
  require_non_negative(op, "momentum", p.momentum);
  CUTRAIN_OP_CHECK(op, !p.nesterov || p.momentum > 0.0, "nesterov needs momentum > 0");
  return p;
}

params::RmsProp rmsprop_params(const std::string& op, const Attrs& a) {
  params::RmsProp p;
  p.lr = a.f("lr", p.lr);
  p.decay = a.f("decay", p.decay);
  p.momentum = a.f("momentum", p.momentum);
  p.epsilon = a.f("epsilon", p.epsilon);
  require_non_negative(op, "lr", p.lr);
  require_non_negative(op, "momentum", p.momentum);
  CUTRAIN_OP_CHECK(op, p.decay >= 0 && p.decay <= 1, "decay must be in [0, 1], got ", p.decay);
  return p;
}

params::Adam adam_params(const std::string& op, const Attrs& a) {
  params::Adam p;
  p.lr = a.f("lr", p.lr);
  p.beta1 = a.f("beta1", p.beta1);
  p.beta2 = a.f("beta2", p.beta2);
  p.epsilon = a.f("epsilon", p.epsilon);
  p.step = a.i("step");
  p.weight_decay = a.f("weight_decay", p.weight_decay);
  p.decoupled = a.b("decoupled", p.decoupled);
  require_non_negative(op, "lr", p.lr);
  CUTRAIN_OP_CHECK(op, p.step >= 1, "step is 1-based, got ", p.step);
  CUTRAIN_OP_CHECK(op, p.beta1 >= 0 && p.beta1 < 1 && p.beta2 >= 0 && p.beta2 < 1,
                   "beta1 and beta2 must be in [0, 1), got ", p.beta1, " and ", p.beta2);
  return p;
}

namespace {
void set_slot(Attrs& a, const char* name, int slot) {
  if (slot >= 0) a.set(name, int64_t{slot});
}
}  // namespace

Attrs sgd_attrs(const SgdOptions& o) {
  Attrs a{{"lr", o.lr}, {"momentum", o.momentum}, {"nesterov", o.nesterov}, {"weight_decay", o.weight_decay}};
  set_slot(a, "lr_slot", o.lr_slot);
  return a;
}

Attrs rmsprop_attrs(const RmsPropOptions& o) {
  Attrs a{{"lr", o.lr}, {"decay", o.decay}, {"momentum", o.momentum}, {"epsilon", o.epsilon}};
  set_slot(a, "lr_slot", o.lr_slot);
  return a;
}

Attrs adam_attrs(const AdamOptions& o) {
  Attrs a{{"lr", o.lr},   {"beta1", o.beta1},       {"beta2", o.beta2},        {"epsilon", o.epsilon},
          {"step", o.step}, {"weight_decay", o.weight_decay}, {"decoupled", o.decoupled}};
  set_slot(a, "lr_slot", o.lr_slot);
  set_slot(a, "step_slot", o.step_slot);
  return a;
}

void register_optimizer_ops(OpRegistry& r) {
  add_sgd(r);
  add_rmsprop(r);
  add_adam(r);
  add_ema(r);
  add_clipping(r);
}

}  // namespace cutrain::ops
