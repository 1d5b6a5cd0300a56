// dropout and dropout_grad on CUDA (kernels/dropout.cu): the same Philox mask
// as the CPU reference (cutrain/cpu/dropout.h) for the same (seed, step).
// `step_scalars` as in cutrain/cuda/random.h. Float and double; the mask is u8.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

// x -> (y, mask)
void dropout(const std::string& op, const Tensor& x, double rate, bool training, uint64_t seed, uint64_t step,
             const double* step_scalars, const Tensor& y, const Tensor& mask, cudaStream_t stream);
// (dy, mask) -> dx
void dropout_grad(const std::string& op, const Tensor& dy, const Tensor& mask, double rate, bool training,
                  const Tensor& dx, cudaStream_t stream);

}  // namespace cutrain::cuda
