// CUDA kernels of the regularizer family (kernels/regularizers.cu).
#include "glue.h"
#include "regularizers.cuh"

namespace cutrain::cuda {

using namespace glue;

void register_regularizer_kernels(ops::OpRegistry& r) {
  // (w) -> [] = weight_decay · Σ w² / 2
  r.add_kernel("l2_loss", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    by_dtype(c, in[0].dtype(), [&]<typename T>(T) {
      const int64_t n = in[0].numel();
      const Tensor ws = scratch(c, kernels::l2_loss_blocks(n), DType::f64);
      kernels::cuda::l2_loss(c.attrs.f("weight_decay", 1.0), in_ptr<T>(in[0]), n, out_ptr<double>(ws),
                             out_ptr<T>(out[0]), native(c));
    });
  });
  // (dy [], w) -> dw = weight_decay · dy · w
  r.add_kernel("l2_loss_grad", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    by_dtype(c, in[1].dtype(), [&]<typename T>(T) {
      kernels::cuda::l2_loss_grad(c.attrs.f("weight_decay", 1.0), in_ptr<T>(in[0]), in_ptr<T>(in[1]),
                                  in[1].numel(), out_ptr<T>(out[0]), native(c));
    });
  });
}

}  // namespace cutrain::cuda
