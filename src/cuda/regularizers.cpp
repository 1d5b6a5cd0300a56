// CUDA kernels of the regularizer family (cutrain/cuda/regularizers.h,
// kernels/regularizers.cu).
#include "cutrain/cuda/regularizers.h"

#include "glue.h"
#include "regularizers.cuh"

namespace cutrain::cuda {

using namespace glue;

// The stream is the core Stream: the per-block partial sums come from its
// stream-ordered caching allocator.
void l2_loss(const std::string& op, double weight_decay, const Tensor& w, const Tensor& out, const Stream& stream) {
  by_dtype(op, w.dtype(), [&]<typename T>(T) {
    const int64_t n = w.numel();
    const Tensor ws = scratch(w.device(), stream, kernels::l2_loss_blocks(n), DType::f64);
    kernels::cuda::l2_loss(weight_decay, in_ptr<T>(w), n, out_ptr<double>(ws), out_ptr<T>(out), native(stream));
  });
}

void l2_loss_grad(const std::string& op, double weight_decay, const Tensor& dy, const Tensor& w, const Tensor& dw,
                  cudaStream_t stream) {
  by_dtype(op, w.dtype(), [&]<typename T>(T) {
    kernels::cuda::l2_loss_grad(weight_decay, in_ptr<T>(dy), in_ptr<T>(w), w.numel(), out_ptr<T>(dw), stream);
  });
}

}  // namespace cutrain::cuda
