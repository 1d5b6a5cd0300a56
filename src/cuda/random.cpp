// CUDA kernel of random_normal (kernels/random.cu): the CPU's Philox rule for
// the same (seed, step).
#include "cutrain/ops/step_scalars.h"
#include "glue.h"
#include "random.cuh"

namespace cutrain::cuda {

void register_random_kernels(ops::OpRegistry& r) {
  using namespace glue;
  r.add_kernel("random_normal", DeviceType::cuda, [](const ops::OpContext& c, const Tensors&, const Tensors& out) {
    by_dtype(c, out[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::random_normal(out_ptr<T>(out[0]), out[0].numel(), c.attrs.f("mean", 0.0),
                                   c.attrs.f("stddev", 1.0), c.seed, c.step, ops::step_scalars_data(c),
                                   native(c));
    });
  });
}

}  // namespace cutrain::cuda
