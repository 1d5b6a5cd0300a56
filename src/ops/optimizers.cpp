// Optimizer op family: in-place parameter updates (one node per parameter,
// each returning a [] token) and global-norm gradient clipping.
#include "cutrain/ops/optimizers.h"

#include "cutrain/core/error.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/cpu/optimizers.h"
#include "cutrain/ops/step_scalars.h"
#include "cutrain/params/step_scalars.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/optimizers.h"
#endif

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

// A guarded update (attr "guarded", loss scaling) takes the step's found_inf
// flag after its own inputs, and Adam the applied-step count after it; both
// f64 [] (kernels/optimizers.cuh). Returns how many inputs are the update's own.
size_t update_own_inputs(const std::string& op, const Attrs& a, const Specs& in, size_t extra) {
  if (!a.b("guarded", false)) return in.size();
  CUTRAIN_OP_CHECK(op, in.size() > extra + 1, "a guarded update needs its flags after its inputs, got ",
                   specs_str(in));
  for (size_t i = in.size() - extra; i < in.size(); ++i)
    CUTRAIN_OP_CHECK(op, in[i].dtype == DType::f64 && in[i].shape.numel() == 1,
                     "the guard inputs (found_inf, steps) must be f64 [], got ", in[i].str());
  return in.size() - extra;
}
size_t update_own_inputs(const OpContext& c, const Tensors& in, size_t extra) {
  return c.attrs.b("guarded", false) ? in.size() - extra : in.size();
}
bool update_guarded(const OpContext& c) { return c.attrs.b("guarded", false); }
// CPU: the flag is read when the queued update runs.
bool update_skipped_on_cpu(const OpContext& c, const Tensors& in, size_t extra) {
  return update_guarded(c) && cpu::update_skipped(in[in.size() - extra]);
}

#if CUTRAIN_WITH_CUDA
// Where the CUDA kernels read this node's per-step values (ops/step_scalars.h):
// on the device, per step, so a captured step replays with fresh values.
params::StepScalars step_scalars_of(const OpContext& c) {
  params::StepScalars d;
  d.scalars = step_scalars_data(c);
  d.lr_slot = step_scalar_slot(c, "lr");
  d.step_slot = step_scalar_slot(c, "step");
  d.decay_slot = step_scalar_slot(c, "decay");
  return d;
}
// The device flags of a guarded update (null pointers: unguarded).
cuda::UpdateGuardTensors update_guard_of(const OpContext& c, const Tensors& in, size_t extra) {
  cuda::UpdateGuardTensors g;
  if (!update_guarded(c)) return g;
  g.found_inf = in[in.size() - extra];
  if (extra == 2) g.steps = in[in.size() - 1];
  return g;
}
#endif

void require_non_negative(const std::string& op, const char* name, double v) {
  CUTRAIN_OP_CHECK(op, v >= 0, name, " must be >= 0, got ", v);
}

void add_sgd(OpRegistry& r) {
  OpSchema s;
  s.name = "sgd_update";
  s.num_inputs = -1;
  s.min_inputs = 2;
  // 2 only when the momentum buffer is given; a guarded update without one
  // has its found_inf there, which the planner then orders like a mutated
  // value: after its producer, and the readers in graph order, as they are.
  s.mutated_inputs = {0, 2};
  s.nondifferentiable_inputs = {0, 1, 2, 3};
  s.doc = "(param, grad, [momentum_buf], [found_inf]) -> token []; attrs lr, momentum, nesterov, weight_decay, "
          "guarded";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "sgd_update";
    const size_t own = update_own_inputs(op, a, in, 1);
    CUTRAIN_OP_CHECK(op, own <= 3, "takes param, grad and optional momentum_buf, got ", specs_str(in));
    require_like_param(op, Specs(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(own)),
                       {"param", "grad", "momentum_buf"});
    const params::Sgd p = sgd_params(op, a);
    CUTRAIN_OP_CHECK(op, p.momentum == 0.0 || own == 3, "momentum ", p.momentum, " needs a momentum_buf input");
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    write_token(out[0]);
    if (update_skipped_on_cpu(c, in, 1)) return;
    params::Sgd p = sgd_params(c.op_name, c.attrs);
    p.lr = step_scalar_or_attr(c, "lr", p.lr);
    cpu::sgd_update(c.op_name, p, in[0], in[1], update_own_inputs(c, in, 1) > 2 ? in[2] : Tensor{});
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::sgd_update(c.op_name, sgd_params(c.op_name, c.attrs), step_scalars_of(c), update_guard_of(c, in, 1), in[0],
                     in[1], update_own_inputs(c, in, 1) > 2 ? in[2] : Tensor{}, out[0], c.stream);
  };
#endif
  r.add(std::move(s));
}

void add_rmsprop(OpRegistry& r) {
  OpSchema s;
  s.name = "rmsprop_update";
  s.num_inputs = -1;
  s.min_inputs = 4;
  s.mutated_inputs = {0, 2, 3};
  s.nondifferentiable_inputs = {0, 1, 2, 3, 4};
  s.doc = "(param, grad, ms, mom, [found_inf]) -> token []; TF RMSProp; attrs lr, decay, momentum, epsilon, guarded";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "rmsprop_update";
    CUTRAIN_OP_CHECK(op, update_own_inputs(op, a, in, 1) == 4, "takes param, grad, ms and mom, got ", specs_str(in));
    require_like_param(op, Specs(in.begin(), in.begin() + 4), {"param", "grad", "ms", "mom"});
    rmsprop_params(op, a);
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    write_token(out[0]);
    if (update_skipped_on_cpu(c, in, 1)) return;
    params::RmsProp p = rmsprop_params(c.op_name, c.attrs);
    p.lr = step_scalar_or_attr(c, "lr", p.lr);
    cpu::rmsprop_update(c.op_name, p, in[0], in[1], in[2], in[3]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::rmsprop_update(c.op_name, rmsprop_params(c.op_name, c.attrs), step_scalars_of(c), update_guard_of(c, in, 1),
                         in[0], in[1], in[2], in[3], out[0], c.stream);
  };
#endif
  r.add(std::move(s));
}

void add_adam(OpRegistry& r) {
  OpSchema s;
  s.name = "adam_update";
  s.num_inputs = -1;
  s.min_inputs = 4;
  s.mutated_inputs = {0, 2, 3};
  s.nondifferentiable_inputs = {0, 1, 2, 3, 4, 5};
  s.doc = "(param, grad, m, v, [found_inf, steps]) -> token []; attrs lr, beta1, beta2, epsilon, step, "
          "weight_decay, decoupled, guarded";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "adam_update";
    CUTRAIN_OP_CHECK(op, update_own_inputs(op, a, in, 2) == 4, "takes param, grad, m and v, got ", specs_str(in));
    require_like_param(op, Specs(in.begin(), in.begin() + 4), {"param", "grad", "m", "v"});
    adam_params(op, a);
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    write_token(out[0]);
    if (update_skipped_on_cpu(c, in, 2)) return;
    params::Adam p = adam_params(c.op_name, c.attrs);
    p.lr = step_scalar_or_attr(c, "lr", p.lr);
    const int step_slot = step_scalar_slot(c, "step");
    if (step_slot >= 0) p.step = static_cast<int64_t>(c.step_scalars.data<double>()[step_slot]);
    // Guarded: the updates applied so far, which skipped steps did not advance.
    if (update_guarded(c)) p.step = static_cast<int64_t>(in[5].data<double>()[0]) + 1;
    cpu::adam_update(c.op_name, p, in[0], in[1], in[2], in[3]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::adam_update(c.op_name, adam_params(c.op_name, c.attrs), step_scalars_of(c), update_guard_of(c, in, 2), in[0],
                      in[1], in[2], in[3], out[0], c.stream);
  };
#endif
  r.add(std::move(s));
}

void add_ema(OpRegistry& r) {
  OpSchema s;
  s.name = "ema_update";
  s.num_inputs = -1;
  s.min_inputs = 2;
  s.mutated_inputs = {0};
  s.nondifferentiable_inputs = {0, 1, 2};
  s.doc = "(shadow, value, [found_inf]) -> token []; shadow -= (1 - decay) (shadow - value); attrs decay, guarded";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "ema_update";
    CUTRAIN_OP_CHECK(op, update_own_inputs(op, a, in, 1) == 2, "takes shadow and value, got ", specs_str(in));
    require_like_param(op, Specs(in.begin(), in.begin() + 2), {"shadow", "value"});
    const double decay = a.f("decay");
    CUTRAIN_OP_CHECK(op, decay >= 0 && decay <= 1, "decay must be in [0, 1], got ", decay);
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    write_token(out[0]);
    if (update_skipped_on_cpu(c, in, 1)) return;
    cpu::ema_update(c.op_name, step_scalar_or_attr(c, "decay", c.attrs.f("decay")), in[0], in[1]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::ema_update(c.op_name, c.attrs.f("decay"), step_scalars_of(c), update_guard_of(c, in, 1), in[0], in[1], out[0],
                     c.stream);
  };
#endif
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
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::global_norm(c.op_name, in, out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::global_norm(c.op_name, in, out[0], c.stream);
  };
#endif
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
  cl.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::clip_by_global_norm(c.op_name, c.attrs.f("clip_norm"), Tensors(in.begin(), in.end() - 1), in.back(), out);
  });
#if CUTRAIN_WITH_CUDA
  cl.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::clip_by_global_norm(c.op_name, c.attrs.f("clip_norm"), Tensors(in.begin(), in.end() - 1), in.back(), out,
                              c.stream);
  };
#endif
  r.add(std::move(cl));

  OpSchema cv;
  cv.name = "clip_by_value";
  cv.num_inputs = -1;
  cv.min_inputs = 1;
  cv.num_outputs = -1;
  cv.doc = "(g_1, ..., g_k) -> min(max(g_i, -clip_value), clip_value); attr clip_value (Keras clipvalue)";
  cv.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "clip_by_value";
    require_same_dtype(op, in);
    CUTRAIN_OP_CHECK(op, a.f("clip_value") > 0, "clip_value must be > 0, got ", a.f("clip_value"));
    return in;
  };
  cv.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::clip_by_value(c.op_name, c.attrs.f("clip_value"), in, out);
  });
#if CUTRAIN_WITH_CUDA
  cv.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::clip_by_value(c.op_name, c.attrs.f("clip_value"), in, out, c.stream);
  };
#endif
  r.add(std::move(cv));
}

void add_accumulation(OpRegistry& r) {
  OpSchema a;
  a.name = "accumulate_gradient";
  a.num_inputs = 2;
  a.mutated_inputs = {0};
  a.nondifferentiable_inputs = {0, 1};
  a.doc = "(acc, grad) -> token []; acc += grad";
  a.infer = [](const Attrs&, const Specs& in) {
    require_like_param("accumulate_gradient", in, {"acc", "grad"});
    return token(in[0]);
  };
  a.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::accumulate_gradient(c.op_name, in[0], in[1]);
    write_token(out[0]);
  });
#if CUTRAIN_WITH_CUDA
  a.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::accumulate_gradient(c.op_name, in[0], in[1], out[0], c.stream);
  };
#endif
  r.add(std::move(a));

  OpSchema t;
  t.name = "take_accumulated";
  t.num_inputs = 2;
  t.mutated_inputs = {0};
  t.nondifferentiable_inputs = {0, 1};
  t.doc = "(acc, grad) -> (acc + grad) * scale, then acc = 0; attr scale";
  t.infer = [](const Attrs& at, const Specs& in) {
    const std::string op = "take_accumulated";
    require_like_param(op, in, {"acc", "grad"});
    CUTRAIN_OP_CHECK(op, at.f("scale") > 0, "scale must be > 0, got ", at.f("scale"));
    return Specs{in[1]};
  };
  t.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::take_accumulated(c.op_name, c.attrs.f("scale"), in[0], in[1], out[0]);
  });
#if CUTRAIN_WITH_CUDA
  t.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::take_accumulated(c.op_name, c.attrs.f("scale"), in[0], in[1], out[0], c.stream);
  };
#endif
  r.add(std::move(t));
}

void require_loss_scale_counter(const std::string& op, const char* name, const TensorSpec& t) {
  CUTRAIN_OP_CHECK(op, t.dtype == DType::f64 && t.shape.numel() == 1, name, " must be f64 [], got ", t.str());
}

void add_loss_scaling(OpRegistry& r) {
  OpSchema u;
  u.name = "unscale_check_finite";
  u.num_inputs = -1;
  u.min_inputs = 2;
  u.num_outputs = -1;
  u.nondifferentiable_inputs = {};
  u.doc = "(g_1, ..., g_k, scale []) -> (g_1 / scale, ..., g_k / scale, found_inf f64 [])";
  u.infer = [](const Attrs&, const Specs& in) {
    const std::string op = "unscale_check_finite";
    require_same_dtype(op, in);
    CUTRAIN_OP_CHECK(op, in.back().shape.numel() == 1, "the last input is the loss scale (one element), got ",
                     in.back().str());
    Specs out(in.begin(), in.end() - 1);
    out.push_back({Shape{}, DType::f64});
    return out;
  };
  u.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::unscale_check_finite(c.op_name, Tensors(in.begin(), in.end() - 1), in.back(),
                              Tensors(out.begin(), out.end() - 1), out.back());
  });
#if CUTRAIN_WITH_CUDA
  u.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::unscale_check_finite(c.op_name, Tensors(in.begin(), in.end() - 1), in.back(),
                               Tensors(out.begin(), out.end() - 1), out.back(), c.stream);
  };
#endif
  r.add(std::move(u));

  OpSchema s;
  s.name = "update_loss_scale";
  s.num_inputs = -1;
  s.min_inputs = 4;
  s.mutated_inputs = {0, 1, 2};
  s.doc = "(scale [], growth_tracker f64 [], steps f64 [], found_inf f64 [], [after...]) -> token []; attrs "
          "growth_factor, backoff_factor, growth_interval, dynamic. The trailing inputs only order it after them";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "update_loss_scale";
    CUTRAIN_OP_CHECK(op, is_floating(in[0].dtype) && in[0].shape.numel() == 1,
                     "scale must be one floating-point element, got ", in[0].str());
    require_loss_scale_counter(op, "growth_tracker", in[1]);
    require_loss_scale_counter(op, "steps", in[2]);
    require_loss_scale_counter(op, "found_inf", in[3]);
    loss_scale_params(op, a);
    return token(in[0]);
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::update_loss_scale(c.op_name, loss_scale_params(c.op_name, c.attrs), in[0], in[1], in[2], in[3]);
    write_token(out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::update_loss_scale(c.op_name, loss_scale_params(c.op_name, c.attrs), in[0], in[1], in[2], in[3], out[0],
                            c.stream);
  };
#endif
  r.add(std::move(s));
}

}  // namespace

params::LossScaleUpdate loss_scale_params(const std::string& op, const Attrs& a) {
  params::LossScaleUpdate p;
  p.growth_factor = a.f("growth_factor", p.growth_factor);
  p.backoff_factor = a.f("backoff_factor", p.backoff_factor);
  p.growth_interval = a.i("growth_interval", p.growth_interval);
  p.dynamic = a.b("dynamic", p.dynamic);
  // torch.amp.GradScaler's own checks.
  CUTRAIN_OP_CHECK(op, p.growth_factor > 1.0, "growth_factor must be > 1, got ", p.growth_factor);
  CUTRAIN_OP_CHECK(op, p.backoff_factor > 0.0 && p.backoff_factor < 1.0, "backoff_factor must be in (0, 1), got ",
                   p.backoff_factor);
  CUTRAIN_OP_CHECK(op, p.growth_interval >= 1, "growth_interval must be >= 1, got ", p.growth_interval);
  return p;
}

Attrs loss_scale_attrs(const params::LossScaleUpdate& p) {
  return Attrs{{"growth_factor", p.growth_factor},
               {"backoff_factor", p.backoff_factor},
               {"growth_interval", p.growth_interval},
               {"dynamic", p.dynamic}};
}

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
  if (o.guarded) a.set("guarded", true);
  return a;
}

Attrs rmsprop_attrs(const RmsPropOptions& o) {
  Attrs a{{"lr", o.lr}, {"decay", o.decay}, {"momentum", o.momentum}, {"epsilon", o.epsilon}};
  set_slot(a, "lr_slot", o.lr_slot);
  if (o.guarded) a.set("guarded", true);
  return a;
}

Attrs adam_attrs(const AdamOptions& o) {
  Attrs a{{"lr", o.lr},   {"beta1", o.beta1},       {"beta2", o.beta2},        {"epsilon", o.epsilon},
          {"step", o.step}, {"weight_decay", o.weight_decay}, {"decoupled", o.decoupled}};
  set_slot(a, "lr_slot", o.lr_slot);
  set_slot(a, "step_slot", o.step_slot);
  if (o.guarded) a.set("guarded", true);
  return a;
}

void register_optimizer_ops(OpRegistry& r) {
  add_sgd(r);
  add_rmsprop(r);
  add_adam(r);
  add_ema(r);
  add_clipping(r);
  add_loss_scaling(r);
  add_accumulation(r);
}

}  // namespace cutrain::ops
