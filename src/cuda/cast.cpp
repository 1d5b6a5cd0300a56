// CUDA kernel of cast (cutrain/cuda/cast.h, kernels/cast.cu); a cast to the
// same dtype is a device-to-device copy.
#include "cutrain/cuda/cast.h"

#include "cast.cuh"
#include "cutrain/cuda/check.h"

namespace cutrain::cuda {

void cast(const std::string& op, const params::Cast& p, const Tensor& x, const Tensor& y, cudaStream_t stream) {
  CUTRAIN_OP_CHECK(op, x.is_contiguous() && y.is_contiguous(), "cast needs contiguous tensors");
  CUTRAIN_OP_CHECK(op, x.dtype() == p.from && y.dtype() == p.to && x.numel() == y.numel(), "cast ",
                   dtype_name(x.dtype()), " to ", dtype_name(y.dtype()), " does not match its parameters ",
                   dtype_name(p.from), " -> ", dtype_name(p.to));
  if (x.numel() == 0) return;
  if (p.from == p.to) {
    CUDA_CHECK(cudaMemcpyAsync(y.raw_data(), x.raw_data(), x.nbytes(), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  kernels::cuda::cast(x.raw_data(), p.from, y.raw_data(), p.to, x.numel(), stream);
}

}  // namespace cutrain::cuda
