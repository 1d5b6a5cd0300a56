// Softmax op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/softmax.h"

#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/softmax.h"

namespace cutrain::ops {

namespace {

std::vector<TensorSpec> infer_forward(const std::string& op, const std::vector<TensorSpec>& in) {
  CUTRAIN_OP_CHECK(op, in[0].shape.rank() >= 1, "needs at least one axis, got ", in[0].str());
  return {in[0]};
}

void add_forward(OpRegistry& r, const std::string& name, bool log) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 1;
  s.infer = [name](const Attrs&, const std::vector<TensorSpec>& in) { return infer_forward(name, in); };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [log](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::softmax(ctx.op_name, log, in[0], out[0]);
      });
  r.add(std::move(s));
}

void add_backward(OpRegistry& r, const std::string& name, bool log) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 2;  // (dy, y)
  s.infer = [name](const Attrs&, const std::vector<TensorSpec>& in) {
    CUTRAIN_OP_CHECK(name, in[0] == in[1], "dy ", in[0].str(), " and y ", in[1].str(), " differ");
    return infer_forward(name, in);
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [log](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::softmax_grad(ctx.op_name, log, in[0], in[1], out[0]);
      });
  r.add(std::move(s));
}

}  // namespace

void register_softmax_ops(OpRegistry& r) {
  add_forward(r, "softmax", false);
  add_forward(r, "log_softmax", true);
  add_backward(r, "softmax_grad", false);
  add_backward(r, "log_softmax_grad", true);
}

}  // namespace cutrain::ops
