// Random op family: schema, inference and CPU kernel of random_normal.
#include "cutrain/ops/random.h"

#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/random.h"
#include "cutrain/ops/step_scalars.h"

namespace cutrain::ops {

void register_random_ops(OpRegistry& r) {
  OpSchema s;
  s.name = "random_normal";
  s.num_inputs = 0;
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>&) {
    const DType dt = dtype_from_name(a.s("dtype"));
    CUTRAIN_OP_CHECK("random_normal", dt == DType::f32 || dt == DType::f64, "dtype must be f32 or f64, got ",
                     dtype_name(dt));
    CUTRAIN_OP_CHECK("random_normal", a.f("stddev", 1.0) >= 0, "stddev ", a.f("stddev", 1.0), " must be >= 0");
    const std::vector<int64_t>& dims = a.ints("shape");
    for (int64_t d : dims) CUTRAIN_OP_CHECK("random_normal", d >= 0, "negative dimension in shape");
    return std::vector<TensorSpec>{{Shape(dims), dt}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        cpu::random_normal(ctx.op_name, ctx.attrs.f("mean", 0.0), ctx.attrs.f("stddev", 1.0), ctx.seed, random_step(ctx),
                           out[0]);
      });
  r.add(std::move(s));
}

}  // namespace cutrain::ops
