// CUDA kernels of softmax / log_softmax and their gradients (kernels/softmax.cu).
#include "glue.h"
#include "softmax.cuh"

namespace cutrain::cuda {

namespace {

using namespace glue;

// Rows and row length of a tensor viewed as [rows, last axis].
std::pair<int64_t, int64_t> rows_cols(const Tensor& t) {
  const int64_t cols = t.rank() == 0 ? 1 : t.shape()[-1];
  return {cols == 0 ? 0 : t.numel() / cols, cols};
}

void add_softmax(ops::OpRegistry& r, const std::string& name, bool log) {
  r.add_kernel(name, DeviceType::cuda, [log](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    const auto [rows, cols] = rows_cols(in[0]);
    by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::softmax_forward(log, in_ptr<T>(in[0]), out_ptr<T>(out[0]), rows, cols, native(ctx));
    });
  });
  // (dy, y) -> dx
  r.add_kernel(name + "_grad", DeviceType::cuda,
               [log](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
                 const auto [rows, cols] = rows_cols(in[1]);
                 by_dtype(ctx, in[1].dtype(), [&]<typename T>(T) {
                   kernels::cuda::softmax_backward(log, in_ptr<T>(in[0]), in_ptr<T>(in[1]), out_ptr<T>(out[0]),
                                                   rows, cols, native(ctx));
                 });
               });
}

}  // namespace

void register_softmax_kernels(ops::OpRegistry& r) {
  add_softmax(r, "softmax", false);
  add_softmax(r, "log_softmax", true);
}

}  // namespace cutrain::cuda
