// The batch-norm family on CUDA (kernels/batch_norm.cu), NHWC (channels
// last), float and double; IO as src/ops/batch_norm.cpp. gamma may be
// undefined (scale 1). The stream is the core Stream: the reductions'
// workspaces come from its stream-ordered caching allocator.
#pragma once

#include <string>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/params/batch_norm.h"

namespace cutrain::cuda {

// (x, beta, running_mean, running_var [, gamma]) -> (y, saved_mean, saved_invstd);
// the running statistics are updated in place in training; y is not written with stats_only.
void batch_norm(const std::string& op, const params::BatchNorm& p, const Tensor& x, const Tensor& beta,
                const Tensor& gamma, const Tensor& running_mean, const Tensor& running_var, const Tensor& y,
                const Tensor& saved_mean, const Tensor& saved_invstd, const Stream& stream);
// (dy, x, saved_mean, saved_invstd [, gamma]) -> (dx, dbeta [, dgamma]); dgamma may be undefined.
void batch_norm_grad(const std::string& op, bool training, const Tensor& dy, const Tensor& x,
                     const Tensor& saved_mean, const Tensor& saved_invstd, const Tensor& gamma, const Tensor& dx,
                     const Tensor& dbeta, const Tensor& dgamma, const Stream& stream);
// (x, saved_mean, saved_invstd, dmean, dinvstd) -> dx
void batch_norm_stats_grad(const std::string& op, bool training, const Tensor& x, const Tensor& saved_mean,
                           const Tensor& saved_invstd, const Tensor& dmean, const Tensor& dinvstd, const Tensor& dx,
                           const Stream& stream);

}  // namespace cutrain::cuda
