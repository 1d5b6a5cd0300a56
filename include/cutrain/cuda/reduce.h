// The reduction family on CUDA (kernels/reduce.cu): sum / mean over the axes
// of params::Reduce, broadcast_to. Float and double; `op` names the op in errors.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/reduce.h"

namespace cutrain::cuda {

void reduce_sum(const std::string& op, const params::Reduce& p, const Tensor& x, const Tensor& out,
                cudaStream_t stream);
void broadcast_to(const std::string& op, const Tensor& x, const Tensor& out, cudaStream_t stream);

}  // namespace cutrain::cuda
