// The regularizer family on CUDA (kernels/regularizers.cu), as
// cutrain/cpu/losses.h's l2_loss. Float and double; `op` names the op in errors.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

// (w) -> [] = weight_decay · Σ w² / 2
void l2_loss(const std::string& op, double weight_decay, const Tensor& w, const Tensor& out, const Stream& stream);
// (dy [], w) -> dw = weight_decay · dy · w
void l2_loss_grad(const std::string& op, double weight_decay, const Tensor& dy, const Tensor& w, const Tensor& dw,
                  cudaStream_t stream);

}  // namespace cutrain::cuda
