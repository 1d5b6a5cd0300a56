// check_finite on CUDA (kernels/check_finite.cu): lowers the device flag to
// `id` when x has a NaN or an infinity, in stream order; nothing is read back.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

void check_finite(const std::string& op, const Tensor& x, int32_t id, const Tensor& flag, cudaStream_t stream);

}  // namespace cutrain::cuda
