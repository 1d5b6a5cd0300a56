// The pooling family on CUDA (kernels/pool.cu), on the plain parameters of
// cutrain/params/pool.h. Our kernels handle TF SAME's asymmetric padding with
// the exclude-pad divisor, which cuDNN's pooling cannot express. Float,
// double, f16 and bf16 (fp32 sums inside); `op` names the op in errors.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/pool.h"

namespace cutrain::cuda {

void max_pool(const std::string& op, const params::Pool2d& p, const Tensor& x, const Tensor& y,
              cudaStream_t stream);
// (dy, x) -> dx
void max_pool_grad(const std::string& op, const params::Pool2d& p, const Tensor& dy, const Tensor& x,
                   const Tensor& dx, cudaStream_t stream);
void avg_pool(const std::string& op, const params::Pool2d& p, const Tensor& x, const Tensor& y,
              cudaStream_t stream);
// (dy) -> dx
void avg_pool_grad(const std::string& op, const params::Pool2d& p, const Tensor& dy, const Tensor& dx,
                   cudaStream_t stream);
// x [N, H, W, C] -> y [N, C] (or [N, 1, 1, C]), and back.
void global_avg_pool(const std::string& op, const Tensor& x, const Tensor& y, cudaStream_t stream);
void global_avg_pool_grad(const std::string& op, const Tensor& dy, const Tensor& dx, cudaStream_t stream);

}  // namespace cutrain::cuda
