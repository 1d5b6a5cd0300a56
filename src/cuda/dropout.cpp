// CUDA kernels of dropout and dropout_grad (cutrain/cuda/dropout.h,
// kernels/dropout.cu): the same Philox mask as the CPU reference for the same
// (seed, step).
#include "cutrain/cuda/dropout.h"

#include "dropout.cuh"
#include "glue.h"

namespace cutrain::cuda {

using namespace glue;

void dropout(const std::string& op, const Tensor& x, double rate, bool training, uint64_t seed, uint64_t step,
             const double* step_scalars, const Tensor& y, const Tensor& mask, cudaStream_t stream) {
  by_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::dropout_forward(in_ptr<T>(x), out_ptr<T>(y), out_ptr<uint8_t>(mask), x.numel(), rate, training,
                                   seed, step, step_scalars, stream);
  });
}

void dropout_grad(const std::string& op, const Tensor& dy, const Tensor& mask, double rate, bool training,
                  const Tensor& dx, cudaStream_t stream) {
  by_dtype(op, dy.dtype(), [&]<typename T>(T) {
    kernels::cuda::dropout_backward(in_ptr<T>(dy), in_ptr<uint8_t>(mask), out_ptr<T>(dx), dy.numel(), rate, training,
                                    stream);
  });
}

}  // namespace cutrain::cuda
