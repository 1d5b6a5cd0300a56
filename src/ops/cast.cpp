// The cast op (ops/cast.h): schema, the one parse, and the kernel bindings.
#include "cutrain/ops/cast.h"

#include "cutrain/cpu/cast.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/ops/low_precision.h"
#include "cutrain/ops/op.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/cast.h"
#endif

namespace cutrain::ops {

params::Cast cast_params(const std::string& op, const Attrs& a, DType from) {
  CUTRAIN_OP_CHECK(op, a.has("to"), "missing attribute 'to' (the target dtype)");
  const DType to = dtype_from_name(a.s("to"));
  CUTRAIN_OP_CHECK(op, is_floating(from) && is_floating(to), "cannot cast ", dtype_name(from), " to ",
                   dtype_name(to), ": cast converts between f64, f32, f16 and bf16");
  return params::Cast{from, to};
}

void register_cast_ops(OpRegistry& r) {
  OpSchema s;
  s.name = kCastOp;
  s.num_inputs = 1;
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    return std::vector<TensorSpec>{{in[0].shape, cast_params(kCastOp, a, in[0].dtype).to}};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::cast(ctx.op_name, cast_params(ctx.op_name, ctx.attrs, in[0].dtype()), in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::cast(ctx.op_name, cast_params(ctx.op_name, ctx.attrs, in[0].dtype()), in[0], out[0], cuda_stream(ctx));
  };
#endif
  // Both backends convert 16-bit tensors themselves (not through the CPU low-precision layer).
  for (DType t : {DType::f16, DType::bf16}) {
    add_low_precision_kernel(kCastOp, DeviceType::cpu, t);
#if CUTRAIN_WITH_CUDA
    add_low_precision_kernel(kCastOp, DeviceType::cuda, t);
#endif
  }
  s.doc = "y = x converted to dtype `to` (f64, f32, f16, bf16), rounded to nearest even";
  r.add(std::move(s));
}

}  // namespace cutrain::ops
