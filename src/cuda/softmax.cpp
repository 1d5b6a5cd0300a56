// CUDA kernels of softmax / log_softmax and their gradients
// (cutrain/cuda/softmax.h, kernels/softmax.cu); float, double, f16 and bf16.
#include "cutrain/cuda/softmax.h"

#include <utility>

#include "glue.h"
#include "softmax.cuh"

namespace cutrain::cuda {

using namespace glue;

namespace {

// Rows and row length of a tensor viewed as [rows, last axis].
std::pair<int64_t, int64_t> rows_cols(const Tensor& t) {
  const int64_t cols = t.rank() == 0 ? 1 : t.shape()[-1];
  return {cols == 0 ? 0 : t.numel() / cols, cols};
}

}  // namespace

void softmax(const std::string& op, bool log, const Tensor& x, const Tensor& y, cudaStream_t stream) {
  const auto [rows, cols] = rows_cols(x);
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::softmax_forward(log, in_ptr<T>(x), out_ptr<T>(y), rows, cols, stream);
  });
}

void softmax_grad(const std::string& op, bool log, const Tensor& dy, const Tensor& y, const Tensor& dx,
                  cudaStream_t stream) {
  const auto [rows, cols] = rows_cols(y);
  by_float_dtype(op, y.dtype(), [&]<typename T>(T) {
    kernels::cuda::softmax_backward(log, in_ptr<T>(dy), in_ptr<T>(y), out_ptr<T>(dx), rows, cols, stream);
  });
}

}  // namespace cutrain::cuda
