// Regulariser op family: the L2 weight-decay term and its backward op.
#include "cutrain/ops/regularizers.h"

#include "cutrain/core/error.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/losses.h"

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
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::l2_loss(c.op_name, c.attrs.f("weight_decay", 1.0), in[0], out[0]);
  });
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
  b.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::l2_loss_grad(c.op_name, c.attrs.f("weight_decay", 1.0), in[0], in[1], out[0]);
  });
  r.add(std::move(b));
}

}  // namespace cutrain::ops
