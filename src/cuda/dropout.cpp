// CUDA kernels of dropout and dropout_grad (kernels/dropout.cu): the same
// Philox mask as the CPU reference for the same (seed, step).
#include "dropout.cuh"
#include "cutrain/ops/step_scalars.h"
#include "glue.h"

namespace cutrain::cuda {

void register_dropout_kernels(ops::OpRegistry& r) {
  using namespace glue;
  // x -> (y, mask u8)
  r.add_kernel("dropout", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    const double rate = c.attrs.f("rate");
    CUTRAIN_OP_CHECK(c.op_name, rate >= 0.0 && rate < 1.0, "rate ", rate, " must be in [0, 1)");
    by_dtype(c, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::dropout_forward(in_ptr<T>(in[0]), out_ptr<T>(out[0]), out_ptr<uint8_t>(out[1]), in[0].numel(),
                                     rate, c.training, c.seed, c.step,
                                     ops::step_scalars_data(c), native(c));
    });
  });
  // (dy, mask) -> dx
  r.add_kernel("dropout_grad", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    by_dtype(c, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::dropout_backward(in_ptr<T>(in[0]), in_ptr<uint8_t>(in[1]), out_ptr<T>(out[0]), in[0].numel(),
                                      c.attrs.f("rate"), c.training, native(c));
    });
  });
}

}  // namespace cutrain::cuda
