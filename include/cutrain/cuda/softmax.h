// softmax / log_softmax over the last axis and their gradients on CUDA
// (kernels/softmax.cu), as cutrain/cpu/softmax.h. Float and double; `op`
// names the op in errors.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

void softmax(const std::string& op, bool log, const Tensor& x, const Tensor& y, cudaStream_t stream);
// (dy, y) -> dx
void softmax_grad(const std::string& op, bool log, const Tensor& dy, const Tensor& y, const Tensor& dx,
                  cudaStream_t stream);

}  // namespace cutrain::cuda
