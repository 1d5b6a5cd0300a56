// Softmax op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/softmax.h"

#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/cpu/softmax.h"
#include "cutrain/ops/elementwise.h"
#include "cutrain/ops/reduce.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/softmax.h"
#endif

namespace cutrain::ops {

using graph::Graph;
using graph::Node;

namespace {

Value out_of(Graph& g, const Node& n) { return Value{&g, n.id, 0}; }
// Sum over the last axis, kept as size 1 so it broadcasts against the rows.
Value row_sum(Value v) { return sum(v, {-1}, true); }

std::vector<TensorSpec> infer_forward(const std::string& op, const std::vector<TensorSpec>& in) {
  CUTRAIN_OP_CHECK(op, in[0].shape.rank() >= 1, "needs at least one axis, got ", in[0].str());
  return {in[0]};
}

void add_forward(OpRegistry& r, const std::string& name, bool log) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 1;
  s.infer = [name](const Attrs&, const std::vector<TensorSpec>& in) { return infer_forward(name, in); };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [log](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::softmax(ctx.op_name, log, in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [log](const OpContext& ctx, const std::vector<Tensor>& in,
                                      const std::vector<Tensor>& out) {
    cuda::softmax(ctx.op_name, log, in[0], out[0], cuda_stream(ctx));
  };
#endif
  const std::string grad_op = name + "_grad";
  s.grad = [grad_op](Graph& g, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>{g.apply1(grad_op, {dys[0], out_of(g, n)})};
  };
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
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [log](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::softmax_grad(ctx.op_name, log, in[0], in[1], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [log](const OpContext& ctx, const std::vector<Tensor>& in,
                                      const std::vector<Tensor>& out) {
    cuda::softmax_grad(ctx.op_name, log, in[0], in[1], out[0], cuda_stream(ctx));
  };
#endif
  s.grad = [name, log](Graph& g, const Node& n, const std::vector<Value>& dgs) {
    // dx is linear in dy with a symmetric (softmax) or transposed (log) Jacobian.
    const Value gg = dgs[0], dy = n.input(0), y = n.input(1);
    if (!log) {
      // dx = y*dy - y*S, S = sum(dy*y):  d/d dy = softmax_grad(gg, y);
      // d/dy = gg*(dy - S) - dy*sum(gg*y).
      const Value d_dy = g.apply1(name, {gg, y});
      const Value d_y = sub(mul(gg, sub(dy, row_sum(mul(dy, y)))), mul(dy, row_sum(mul(gg, y))));
      return std::vector<Value>{d_dy, d_y};
    }
    // dx = dy - exp(y)*S, S = sum(dy):  d/d dy = gg - sum(gg*exp(y));
    // d/dy = -gg*exp(y)*S.
    const Value e = exp(y);
    const Value d_dy = sub(gg, row_sum(mul(gg, e)));
    const Value d_y = neg(mul(mul(gg, e), row_sum(dy)));
    return std::vector<Value>{d_dy, d_y};
  };
  r.add(std::move(s));
}

}  // namespace

Value softmax(Value x) { return x.graph->apply1("softmax", {x}); }
Value log_softmax(Value x) { return x.graph->apply1("log_softmax", {x}); }

void register_softmax_ops(OpRegistry& r) {
  add_forward(r, "softmax", false);
  add_forward(r, "log_softmax", true);
  add_backward(r, "softmax_grad", false);
  add_backward(r, "log_softmax_grad", true);
}

}  // namespace cutrain::ops
