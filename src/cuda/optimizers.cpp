// CUDA kernels of the optimizer family (cutrain/cuda/optimizers.h,
// kernels/optimizers.cu). The graph has one update op per parameter, so each
// runs the multi-tensor launcher over a list of one; a step that batches its
// parameters calls the launchers of kernels/optimizers.cuh directly with all of them.
#include "cutrain/cuda/optimizers.h"

#include "cutrain/cuda/check.h"
#include "glue.h"
#include "optimizers.cuh"

namespace cutrain::cuda {

using namespace glue;

namespace {

template <typename T>
kernels::ParamSlots<T> slots(const Tensor& param, const Tensor& grad, const Tensor& state0, const Tensor& state1) {
  kernels::ParamSlots<T> s;
  s.param = out_ptr<T>(param);
  s.grad = in_ptr<T>(grad);
  if (state0.defined()) s.state0 = out_ptr<T>(state0);
  if (state1.defined()) s.state1 = out_ptr<T>(state1);
  s.n = param.numel();
  return s;
}

kernels::StepScalarsRef ref(const params::StepScalars& d) {
  kernels::StepScalarsRef r;
  r.scalars = d.scalars;
  r.lr_slot = d.lr_slot;
  r.step_slot = d.step_slot;
  r.decay_slot = d.decay_slot;
  return r;
}

kernels::UpdateGuard optimizer_device_guard(const UpdateGuardTensors& g) {
  kernels::UpdateGuard d;
  if (g.found_inf.defined()) d.found_inf = glue::in_ptr<double>(g.found_inf);
  if (g.steps.defined()) d.steps = glue::in_ptr<double>(g.steps);
  return d;
}

// Device pointers of a list of gradients and of its outputs.
template <typename T>
struct OptimizerListPtrs {
  std::vector<const T*> in;
  std::vector<T*> out;
  std::vector<int64_t> sizes;
  OptimizerListPtrs(const std::vector<Tensor>& grads, const std::vector<Tensor>& outs) {
    for (size_t k = 0; k < grads.size(); ++k) {
      in.push_back(glue::in_ptr<T>(grads[k]));
      out.push_back(glue::out_ptr<T>(outs.at(k)));
      sizes.push_back(grads[k].numel());
    }
  }
  int count() const { return static_cast<int>(in.size()); }
};

// The update ops' scalar token output: zero bytes are 0.0 in f32 and f64.
void write_token(const Tensor& t, const Stream& stream) {
  CUDA_CHECK(cudaMemsetAsync(t.raw_data(), 0, dtype_size(t.dtype()), native(stream)));
}

}  // namespace

void sgd_update(const std::string& op, const params::Sgd& p, const params::StepScalars& dyn,
                const UpdateGuardTensors& guard, const Tensor& param, const Tensor& grad, const Tensor& buf,
                const Tensor& token, const Stream& stream) {
  kernels::SgdHyper h;
  h.p = p;
  h.dyn = ref(dyn);
  h.guard = optimizer_device_guard(guard);
  by_dtype(op, param.dtype(), [&]<typename T>(T) {
    const kernels::ParamSlots<T> s = slots<T>(param, grad, buf, Tensor());
    kernels::cuda::sgd_update(h, &s, 1, native(stream));
  });
  write_token(token, stream);
}

void rmsprop_update(const std::string& op, const params::RmsProp& p, const params::StepScalars& dyn,
                    const UpdateGuardTensors& guard, const Tensor& param, const Tensor& grad, const Tensor& ms,
                    const Tensor& mom, const Tensor& token, const Stream& stream) {
  kernels::RmsPropHyper h;
  h.p = p;
  h.dyn = ref(dyn);
  h.guard = optimizer_device_guard(guard);
  by_dtype(op, param.dtype(), [&]<typename T>(T) {
    const kernels::ParamSlots<T> s = slots<T>(param, grad, ms, mom);
    kernels::cuda::rmsprop_update(h, &s, 1, native(stream));
  });
  write_token(token, stream);
}

void adam_update(const std::string& op, const params::Adam& p, const params::StepScalars& dyn,
                 const UpdateGuardTensors& guard, const Tensor& param, const Tensor& grad, const Tensor& m,
                 const Tensor& v, const Tensor& token, const Stream& stream) {
  kernels::AdamHyper h;
  h.p = p;
  h.dyn = ref(dyn);
  h.guard = optimizer_device_guard(guard);
  by_dtype(op, param.dtype(), [&]<typename T>(T) {
    const kernels::ParamSlots<T> s = slots<T>(param, grad, m, v);
    kernels::cuda::adam_update(h, &s, 1, native(stream));
  });
  write_token(token, stream);
}

void ema_update(const std::string& op, double decay, const params::StepScalars& dyn, const UpdateGuardTensors& guard,
                const Tensor& shadow, const Tensor& value, const Tensor& token, const Stream& stream) {
  kernels::EmaHyper h;
  h.decay = decay;
  h.dyn = ref(dyn);
  h.guard = optimizer_device_guard(guard);
  by_dtype(op, shadow.dtype(), [&]<typename T>(T) {
    const kernels::ParamSlots<T> s = slots<T>(shadow, value, Tensor(), Tensor());
    kernels::cuda::ema_update(h, &s, 1, native(stream));
  });
  write_token(token, stream);
}

void global_norm(const std::string& op, const std::vector<Tensor>& grads, const Tensor& out, const Stream& stream) {
  by_dtype(op, out.dtype(), [&]<typename T>(T) {
    std::vector<const T*> gs;
    std::vector<int64_t> sizes;
    for (const Tensor& t : grads) {
      gs.push_back(in_ptr<T>(t));
      sizes.push_back(t.numel());
    }
    const int k = static_cast<int>(grads.size());
    // Freed on return; the allocator keeps it for this stream until the kernels ran.
    const Tensor ws =
        Tensor::empty(Shape{kernels::global_norm_workspace(sizes.data(), k)}, DType::f64, out.device(), stream);
    kernels::cuda::global_norm(gs.data(), sizes.data(), k, static_cast<double*>(ws.raw_data()), out_ptr<T>(out),
                               native(stream));
  });
}

void clip_by_global_norm(const std::string& op, double clip_norm, const std::vector<Tensor>& grads,
                         const Tensor& norm, const std::vector<Tensor>& out, const Stream& stream) {
  by_dtype(op, norm.dtype(), [&]<typename T>(T) {
    std::vector<const T*> gs;
    std::vector<T*> os;
    std::vector<int64_t> sizes;
    for (size_t k = 0; k < grads.size(); ++k) {
      gs.push_back(in_ptr<T>(grads[k]));
      os.push_back(out_ptr<T>(out[k]));
      sizes.push_back(grads[k].numel());
    }
    kernels::cuda::clip_by_global_norm(clip_norm, in_ptr<T>(norm), gs.data(), os.data(), sizes.data(),
                                       static_cast<int>(gs.size()), native(stream));
  });
}

void clip_by_value(const std::string& op, double clip_value, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& out, const Stream& stream) {
  by_dtype(op, grads.at(0).dtype(), [&]<typename T>(T) {
    const OptimizerListPtrs<T> l(grads, out);
    kernels::cuda::clip_by_value(clip_value, l.in.data(), l.out.data(), l.sizes.data(), l.count(), native(stream));
  });
}

void unscale_check_finite(const std::string& op, const std::vector<Tensor>& grads, const Tensor& scale,
                          const std::vector<Tensor>& out, const Tensor& found_inf, const Stream& stream) {
  by_dtype(op, scale.dtype(), [&]<typename T>(T) {
    const OptimizerListPtrs<T> l(grads, out);
    kernels::cuda::unscale_check_finite(in_ptr<T>(scale), l.in.data(), l.out.data(), l.sizes.data(), l.count(),
                                        out_ptr<double>(found_inf), native(stream));
  });
}

void accumulate_gradient(const std::string& op, const Tensor& acc, const Tensor& grad, const Tensor& token,
                         const Stream& stream) {
  by_dtype(op, acc.dtype(), [&]<typename T>(T) {
    const kernels::ParamSlots<T> s = slots<T>(acc, grad, Tensor(), Tensor());
    kernels::cuda::accumulate_gradient(&s, 1, native(stream));
  });
  write_token(token, stream);
}

void take_accumulated(const std::string& op, double scale, const Tensor& acc, const Tensor& grad, const Tensor& out,
                      const Stream& stream) {
  by_dtype(op, acc.dtype(), [&]<typename T>(T) {
    const kernels::ParamSlots<T> s = slots<T>(out, grad, acc, Tensor());
    kernels::cuda::take_accumulated(scale, &s, 1, native(stream));
  });
}

void update_loss_scale(const std::string& op, const params::LossScaleUpdate& p, const Tensor& scale,
                       const Tensor& growth_tracker, const Tensor& steps, const Tensor& found_inf,
                       const Tensor& token, const Stream& stream) {
  by_dtype(op, scale.dtype(), [&]<typename T>(T) {
    kernels::cuda::update_loss_scale(p, out_ptr<T>(scale), out_ptr<double>(growth_tracker), out_ptr<double>(steps),
                                     in_ptr<double>(found_inf), native(stream));
  });
  write_token(token, stream);
}

}  // namespace cutrain::cuda
