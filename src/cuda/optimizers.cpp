// CUDA kernels of the optimizer family (kernels/optimizers.cu). The graph has
// one update op per parameter, so each registers the multi-tensor launcher
// over a list of one; a step that batches its parameters calls the launchers
// of kernels/optimizers.cuh directly with all of them.
#include "cutrain/core/tensor.h"
#include "cutrain/cuda/check.h"
#include "cutrain/ops/optimizers.h"
#include "cutrain/ops/step_scalars.h"
#include "glue.h"
#include "optimizers.cuh"

namespace cutrain::cuda {

namespace {

using namespace glue;

template <typename T>
kernels::ParamSlots<T> slots(const Tensors& in, int state0, int state1) {
  kernels::ParamSlots<T> s;
  s.param = out_ptr<T>(in[0]);
  s.grad = in_ptr<T>(in[1]);
  if (state0 >= 0 && in.size() > static_cast<size_t>(state0)) s.state0 = out_ptr<T>(in[static_cast<size_t>(state0)]);
  if (state1 >= 0) s.state1 = out_ptr<T>(in[static_cast<size_t>(state1)]);
  s.n = in[0].numel();
  return s;
}

// Where the kernels read this node's per-step values (ops/step_scalars.h).
kernels::StepScalarsRef step_scalars_ref(const ops::OpContext& c) {
  kernels::StepScalarsRef r;
  r.scalars = ops::step_scalars_data(c);
  r.lr_slot = ops::step_scalar_slot(c, "lr");
  r.step_slot = ops::step_scalar_slot(c, "step");
  r.decay_slot = ops::step_scalar_slot(c, "decay");
  return r;
}

// The update ops' scalar token output: zero bytes are 0.0 in f32 and f64.
void write_token(const ops::OpContext& ctx, const Tensor& t) {
  CUDA_CHECK(cudaMemsetAsync(t.raw_data(), 0, dtype_size(t.dtype()), native(ctx)));
}

}  // namespace

void register_optimizer_kernels(ops::OpRegistry& r) {
  // (param, grad, [momentum_buf]) -> token
  r.add_kernel("sgd_update", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    kernels::SgdHyper h;
    h.p = ops::sgd_params(c.op_name, c.attrs);
    h.dyn = step_scalars_ref(c);
    by_dtype(c, in[0].dtype(), [&]<typename T>(T) {
      const kernels::ParamSlots<T> s = slots<T>(in, 2, -1);
      kernels::cuda::sgd_update(h, &s, 1, native(c));
    });
    write_token(c, out[0]);
  });
  // (param, grad, ms, mom) -> token
  r.add_kernel("rmsprop_update", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    kernels::RmsPropHyper h;
    h.p = ops::rmsprop_params(c.op_name, c.attrs);
    h.dyn = step_scalars_ref(c);
    by_dtype(c, in[0].dtype(), [&]<typename T>(T) {
      const kernels::ParamSlots<T> s = slots<T>(in, 2, 3);
      kernels::cuda::rmsprop_update(h, &s, 1, native(c));
    });
    write_token(c, out[0]);
  });
  // (param, grad, m, v) -> token
  r.add_kernel("adam_update", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    kernels::AdamHyper h;
    h.p = ops::adam_params(c.op_name, c.attrs);
    h.dyn = step_scalars_ref(c);
    by_dtype(c, in[0].dtype(), [&]<typename T>(T) {
      const kernels::ParamSlots<T> s = slots<T>(in, 2, 3);
      kernels::cuda::adam_update(h, &s, 1, native(c));
    });
    write_token(c, out[0]);
  });
  // (shadow, value) -> token
  r.add_kernel("ema_update", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    kernels::EmaHyper h;
    h.decay = c.attrs.f("decay");
    h.dyn = step_scalars_ref(c);
    by_dtype(c, in[0].dtype(), [&]<typename T>(T) {
      const kernels::ParamSlots<T> s = slots<T>(in, -1, -1);
      kernels::cuda::ema_update(h, &s, 1, native(c));
    });
    write_token(c, out[0]);
  });
  // (g_1, ..., g_k) -> norm []
  r.add_kernel("global_norm", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    by_dtype(c, out[0].dtype(), [&]<typename T>(T) {
      std::vector<const T*> gs;
      std::vector<int64_t> sizes;
      for (const Tensor& t : in) {
        gs.push_back(in_ptr<T>(t));
        sizes.push_back(t.numel());
      }
      const int k = static_cast<int>(in.size());
      // Freed on return; the allocator keeps it for this stream until the kernels ran.
      const Tensor ws = Tensor::empty(Shape{kernels::global_norm_workspace(sizes.data(), k)}, DType::f64, c.device,
                                      c.stream);
      kernels::cuda::global_norm(gs.data(), sizes.data(), k, static_cast<double*>(ws.raw_data()),
                                 out_ptr<T>(out[0]), native(c));
    });
  });
  // (g_1, ..., g_k, norm) -> g_i · clip / max(norm, clip)
  r.add_kernel("clip_by_global_norm", DeviceType::cuda,
               [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
                 by_dtype(c, in.back().dtype(), [&]<typename T>(T) {
                   std::vector<const T*> gs;
                   std::vector<T*> os;
                   std::vector<int64_t> sizes;
                   for (size_t k = 0; k + 1 < in.size(); ++k) {
                     gs.push_back(in_ptr<T>(in[k]));
                     os.push_back(out_ptr<T>(out[k]));
                     sizes.push_back(in[k].numel());
                   }
                   kernels::cuda::clip_by_global_norm(c.attrs.f("clip_norm"), in_ptr<T>(in.back()), gs.data(),
                                                      os.data(), sizes.data(), static_cast<int>(gs.size()),
                                                      native(c));
                 });
               });
}

}  // namespace cutrain::cuda
