// CUDA kernels of the elementwise family (kernels/elementwise.cu).
#include <cuda_runtime.h>

#include "cutrain/ops/op.h"
#include "elementwise.cuh"

namespace cutrain::cuda {

namespace {
cudaStream_t native(const ops::OpContext& ctx) { return static_cast<cudaStream_t>(ctx.stream.native_handle()); }

template <typename F>
void by_dtype(const ops::OpContext& ctx, DType t, F&& f) {
  if (t == DType::f32) return f(float{});
  if (t == DType::f64) return f(double{});
  CUTRAIN_THROW("op '", ctx.op_name, "' on CUDA: unsupported dtype ", dtype_name(t));
}
}  // namespace

void register_elementwise_kernels(ops::OpRegistry& r) {
  r.add_kernel("relu", DeviceType::cuda,
               [](const ops::OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
                 by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
                   kernels::cuda::relu_forward(static_cast<const T*>(in[0].raw_data()),
                                               static_cast<T*>(out[0].raw_data()), in[0].numel(), native(ctx));
                 });
               });
  // relu_grad(dy, y) -> dx
  r.add_kernel("relu_grad", DeviceType::cuda,
               [](const ops::OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
                 by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
                   kernels::cuda::relu_backward(static_cast<const T*>(in[1].raw_data()),
                                                static_cast<const T*>(in[0].raw_data()),
                                                static_cast<T*>(out[0].raw_data()), in[0].numel(), native(ctx));
                 });
               });
}

}  // namespace cutrain::cuda
