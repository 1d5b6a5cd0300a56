// Matmul op family: schema, inference, CPU kernel, backward rule; dense.
#include "cutrain/ops/matmul.h"

#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/cpu/matmul.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/matmul.h"
#endif

namespace cutrain::ops {

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

}  // namespace

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
                 out[0], ctx.stream, ctx.attrs.b("allow_tf32", false));
  };
#endif
  r.add(std::move(s));
}

}  // namespace cutrain::ops
