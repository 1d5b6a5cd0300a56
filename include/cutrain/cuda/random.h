// random_normal on CUDA (kernels/random.cu): the CPU's Philox rule for the
// same (seed, step). `step_scalars` is the executor's device array of per-step
// scalars (null outside a captured step), whose step counter, when present,
// replaces `step` on the device. Float and double.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

void random_normal(const std::string& op, double mean, double stddev, uint64_t seed, uint64_t step,
                   const double* step_scalars, const Tensor& out, cudaStream_t stream);

}  // namespace cutrain::cuda
