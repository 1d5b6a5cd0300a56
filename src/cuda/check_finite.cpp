// CUDA kernel of check_finite (cutrain/cuda/check_finite.h,
// kernels/check_finite.cu): lowers the device flag in stream order; nothing
// is read back here.
#include "cutrain/cuda/check_finite.h"

#include "check_finite.cuh"
#include "glue.h"

namespace cutrain::cuda {

using namespace glue;

void check_finite(const std::string& op, const Tensor& x, int32_t id, const Tensor& flag, cudaStream_t stream) {
  if (!is_floating(x.dtype()) || x.numel() == 0) return;
  CUTRAIN_OP_CHECK(op, x.is_contiguous(), "needs a contiguous tensor");
  const int bytes = static_cast<int>(dtype_size(x.dtype()));
  kernels::cuda::check_finite(x.raw_data(), bytes, kernels::non_finite_mask(bytes, x.dtype() == DType::bf16),
                              x.numel(), id, out_ptr<int32_t>(flag), stream);
}

}  // namespace cutrain::cuda
