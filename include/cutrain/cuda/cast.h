// cast on CUDA (kernels/cast.cu), as cpu::cast (cutrain/cpu/cast.h): every
// element of x converted to y's dtype, correctly rounded, in stream order.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/cast.h"

namespace cutrain::cuda {

void cast(const std::string& op, const params::Cast& p, const Tensor& x, const Tensor& y, cudaStream_t stream);

}  // namespace cutrain::cuda
