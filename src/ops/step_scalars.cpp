#include "cutrain/ops/step_scalars.h"

namespace cutrain::ops {

int step_scalar_slot(const OpContext& ctx, const std::string& name) {
  if (!ctx.step_scalars.defined()) return -1;
  const std::string key = name + "_slot";
  if (!ctx.attrs.has(key)) return -1;
  const int64_t slot = ctx.attrs.i(key);
  CUTRAIN_OP_CHECK(ctx.op_name, slot >= 0 && slot < ctx.step_scalars.numel(), "step scalar slot ", slot,
                   " of '", name, "' is outside the executor's ", ctx.step_scalars.numel(), " scalars");
  return static_cast<int>(slot);
}

double step_scalar_or_attr(const OpContext& ctx, const std::string& name, double fallback) {
  const int slot = step_scalar_slot(ctx, name);
  if (slot < 0) return ctx.attrs.f(name, fallback);
  return ctx.step_scalars.data<double>()[slot];
}

uint64_t random_step(const OpContext& ctx) {
  if (!ctx.step_scalars.defined()) return ctx.step;
  return static_cast<uint64_t>(ctx.step_scalars.data<double>()[kStepCounterSlot]);
}

const double* step_scalars_data(const OpContext& ctx) {
  if (!ctx.step_scalars.defined()) return nullptr;
  CUTRAIN_OP_CHECK(ctx.op_name, ctx.step_scalars.dtype() == DType::f64 && ctx.step_scalars.is_contiguous(),
                   "the per-step scalars must be contiguous f64");
  return static_cast<const double*>(ctx.step_scalars.raw_data());
}

}  // namespace cutrain::ops
