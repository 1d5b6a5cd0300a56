// CUDA kernels of the reduction family (kernels/reduce.cu): sum, mean over
// attr axes (all when empty), broadcast_to.
#include "glue.h"
#include "reduce.cuh"

namespace cutrain::cuda {

namespace {

using namespace glue;

// reduced[d] = 1 for each axis in attr axes (all when empty); the op's
// inference already checked them.
std::vector<char> reduced_axes(const ops::Attrs& a, int rank) {
  const std::vector<int64_t> axes = a.ints("axes", {});
  std::vector<char> red(static_cast<size_t>(rank), axes.empty() ? 1 : 0);
  for (int64_t ax : axes) red[static_cast<size_t>(ax < 0 ? ax + rank : ax)] = 1;
  return red;
}

void add_reduction(ops::OpRegistry& r, const char* name, bool is_mean) {
  r.add_kernel(name, DeviceType::cuda, [is_mean](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    const kernels::ReduceIndex idx = kernels::make_reduce_index(dims(in[0]), reduced_axes(ctx.attrs, in[0].rank()));
    const double scale = is_mean ? 1.0 / static_cast<double>(idx.reduced > 0 ? idx.reduced : 1) : 1.0;
    by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::reduce_axes(in_ptr<T>(in[0]), idx, scale, out_ptr<T>(out[0]), native(ctx));
    });
  });
}

}  // namespace

void register_reduce_kernels(ops::OpRegistry& r) {
  add_reduction(r, "sum", false);
  add_reduction(r, "mean", true);
  r.add_kernel("broadcast_to", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    const kernels::BroadcastIndex idx = kernels::make_broadcast_index(dims(out[0]), dims(in[0]), dims(out[0]));
    by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::broadcast_to(in_ptr<T>(in[0]), idx, out[0].numel(), out_ptr<T>(out[0]), native(ctx));
    });
  });
}

}  // namespace cutrain::cuda
