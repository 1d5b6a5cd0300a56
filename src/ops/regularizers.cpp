// Regulariser op family: the L2 weight-decay term and its backward op.
#include "cutrain/ops/regularizers.h"

#include "cutrain/core/error.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/cpu/losses.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/regularizers.h"
#endif

namespace cutrain::ops {

void register_regularizer_ops(OpRegistry& r) {
  using Specs = std::vector<TensorSpec>;
  using Tensors = std::vector<Tensor>;

  OpSchema s;
  s.name = "l2_loss";
  s.num_inputs = 1;
  s.doc = "(w) -> [] = weight_decay * sum(w^2) / 2; attr weight_decay";
  s.infer = [](const Attrs&, const Specs& in) {
    CUTRAIN_OP_CHECK("l2_loss", is_floating(in[0].dtype), "w must be floating point, got ", in[0].str());
    return Specs{{Shape{}, in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::l2_loss(c.op_name, c.attrs.f("weight_decay", 1.0), in[0], out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::l2_loss(c.op_name, c.attrs.f("weight_decay", 1.0), in[0], out[0], c.stream);
  };
#endif
  r.add(std::move(s));

  OpSchema b;
  b.name = "l2_loss_grad";
  b.num_inputs = 2;
  b.doc = "(dy [], w) -> dw = dy * weight_decay * w; attr weight_decay";
  b.infer = [](const Attrs&, const Specs& in) {
    CUTRAIN_OP_CHECK("l2_loss_grad", in[0].shape.numel() == 1 && in[0].dtype == in[1].dtype,
                     "dy must be one ", dtype_name(in[1].dtype), " element, got ", in[0].str());
    return Specs{in[1]};
  };
  b.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::l2_loss_grad(c.op_name, c.attrs.f("weight_decay", 1.0), in[0], in[1], out[0]);
  });
#if CUTRAIN_WITH_CUDA
  b.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::l2_loss_grad(c.op_name, c.attrs.f("weight_decay", 1.0), in[0], in[1], out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(b));
}

}  // namespace cutrain::ops
