// Matmul op family: schema, inference, CPU kernel, backward rule; dense.
#include "cutrain/ops/matmul.h"

#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/cpu/matmul.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/matmul.h"
#endif
#include "cutrain/ops/elementwise.h"
#include "cutrain/ops/shape_ops.h"

namespace cutrain::ops {

using graph::Graph;
using graph::Node;

namespace {

std::vector<TensorSpec> infer_matmul(const Attrs& attrs, const std::vector<TensorSpec>& in) {
  const bool ta = attrs.b("transpose_a", false), tb = attrs.b("transpose_b", false);
  const Shape &a = in[0].shape, &b = in[1].shape;
  const std::string flags = std::string(" (transpose_a=") + (ta ? "true" : "false") +
                            ", transpose_b=" + (tb ? "true" : "false") + ")";
  CUTRAIN_OP_CHECK("matmul", in[0].dtype == in[1].dtype, "dtypes of a ", in[0].str(), " and b ",
                   in[1].str(), " differ");
  CUTRAIN_OP_CHECK("matmul", a.rank() >= 2 && (!ta || a.rank() == 2), "a ", in[0].str(),
                   ta ? " must be 2-D" : " must have at least 2 dimensions", flags);
  CUTRAIN_OP_CHECK("matmul", b.rank() == 2, "b ", in[1].str(), " must be 2-D", flags);
  const int64_t ka = ta ? a[0] : a[-1], kb = tb ? b[1] : b[0];
  CUTRAIN_OP_CHECK("matmul", ka == kb, "inner dimensions differ: a ", in[0].str(), " has K = ", ka,
                   ", b ", in[1].str(), " has K = ", kb, flags);
  std::vector<int64_t> out;
  if (ta) {
    out = {a[1]};
  } else {
    out.assign(a.dims().begin(), a.dims().end() - 1);
  }
  out.push_back(tb ? b[0] : b[1]);
  return {{Shape(out), in[0].dtype}};
}

std::vector<Value> matmul_grad(const Node& n, Value dy) {
  const bool ta = n.attrs.b("transpose_a", false), tb = n.attrs.b("transpose_b", false);
  Value a = n.inputs[0];
  const Value b = n.inputs[1];
  const Shape a_shape = a.shape();
  if (a_shape.rank() > 2) {
    // Fold the leading dims into M so both gradients are 2-D matmuls.
    a = reshape(a, std::vector<int64_t>{-1, a_shape[-1]});
    dy = reshape(dy, std::vector<int64_t>{-1, dy.shape()[-1]});
  }
  Value da, db;
  if (!ta && !tb) {         // y = a·b
    da = matmul(dy, b, false, true);
    db = matmul(a, dy, true, false);
  } else if (!ta && tb) {   // y = a·bᵀ
    da = matmul(dy, b, false, false);
    db = matmul(dy, a, true, false);
  } else if (ta && !tb) {   // y = aᵀ·b
    da = matmul(b, dy, false, true);
    db = matmul(a, dy, false, false);
  } else {                  // y = aᵀ·bᵀ
    da = matmul(b, dy, true, true);
    db = matmul(dy, a, true, true);
  }
  return {reshape(da, a_shape), db};
}

}  // namespace

Value matmul(Value a, Value b, bool transpose_a, bool transpose_b) {
  return a.graph->apply1("matmul", {a, b}, {{"transpose_a", transpose_a}, {"transpose_b", transpose_b}});
}

Value dense(Value x, Value w, Value bias) {
  const Value y = matmul(x, w, false, true);
  return bias.defined() ? add(y, bias) : y;
}

void register_matmul_ops(OpRegistry& r) {
  OpSchema s;
  s.name = "matmul";
  s.num_inputs = 2;
  s.infer = infer_matmul;
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::matmul(ctx.op_name, in[0], in[1], ctx.attrs.b("transpose_a", false),
                    ctx.attrs.b("transpose_b", false), out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::matmul(ctx.op_name, in[0], in[1], ctx.attrs.b("transpose_a", false), ctx.attrs.b("transpose_b", false),
                 out[0], ctx.stream);
  };
#endif
  s.grad = [](Graph&, const Node& n, const std::vector<Value>& dys) { return matmul_grad(n, dys[0]); };
  r.add(std::move(s));
}

}  // namespace cutrain::ops
