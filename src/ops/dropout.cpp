// Dropout op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/dropout.h"

#include "cutrain/cpu/dropout.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/ops/step_scalars.h"

namespace cutrain::ops {

namespace {
double checked_rate(const std::string& op, const Attrs& a) {
  const double rate = a.f("rate");
  CUTRAIN_OP_CHECK(op, rate >= 0.0 && rate < 1.0, "rate ", rate, " must be in [0, 1)");
  return rate;
}
}  // namespace

void register_dropout_ops(OpRegistry& r) {
  OpSchema s;
  s.name = "dropout";
  s.num_inputs = 1;
  s.num_outputs = 2;
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    checked_rate("dropout", a);
    return std::vector<TensorSpec>{in[0], {in[0].shape, DType::u8}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::dropout(ctx.op_name, in[0], checked_rate(ctx.op_name, ctx.attrs), ctx.training, ctx.seed,
                     random_step(ctx), out[0], out[1]);
      });
  r.add(std::move(s));

  OpSchema d;
  d.name = "dropout_grad";
  d.num_inputs = 2;  // (dy, mask)
  d.nondifferentiable_inputs = {1};
  d.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    checked_rate("dropout_grad", a);
    CUTRAIN_OP_CHECK("dropout_grad", in[1].dtype == DType::u8 && in[1].shape == in[0].shape, "mask ",
                     in[1].str(), " must be u8 with the shape of dy ", in[0].str());
    return std::vector<TensorSpec>{in[0]};
  };
  d.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::dropout_grad(ctx.op_name, in[0], in[1], checked_rate(ctx.op_name, ctx.attrs), ctx.training,
                          out[0]);
      });
  r.add(std::move(d));
}

}  // namespace cutrain::ops
