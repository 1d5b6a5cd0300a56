// CPU reference kernels for batch normalization over the last (channel)
// axis: x is read as [M, C] (NHWC activations or [N, C] dense features).
// Float and double; statistics accumulate in double.
#pragma once

#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// Training: normalizes with the batch mean and the biased batch variance,
// then updates running = decay * running + (1 - decay) * batch, using the
// unbiased (Bessel-corrected) variance for running_var. Eval: normalizes
// with the running statistics and leaves them alone. Either way saved_mean
// and saved_invstd receive the statistics used (invstd = 1 / sqrt(var + eps)).
// gamma may be undefined (scale 1); y undefined: statistics only (the fusion
// pass applies the normalisation inside the fused Inception concat).
void batch_norm(const std::string& op, bool training, double epsilon, double decay,
                const Tensor& x, const Tensor& beta, const Tensor& gamma, const Tensor& running_mean,
                const Tensor& running_var, const Tensor& y, const Tensor& saved_mean,
                const Tensor& saved_invstd);

// dx, dbeta and dgamma (dgamma may be undefined) from dy. Training uses the
// full formula through the batch statistics; eval the affine one.
void batch_norm_grad(const std::string& op, bool training, const Tensor& dy, const Tensor& x,
                     const Tensor& saved_mean, const Tensor& saved_invstd, const Tensor& gamma,
                     const Tensor& dx, const Tensor& dbeta, const Tensor& dgamma);

// dx from gradients on the saved statistics (training; zero in eval, where
// they do not depend on x): dmean / M - dinvstd * invstd^3 * (x - mean) / M.
void batch_norm_stats_grad(const std::string& op, bool training, const Tensor& x,
                           const Tensor& saved_mean, const Tensor& saved_invstd,
                           const Tensor& dmean, const Tensor& dinvstd, const Tensor& dx);

}  // namespace cutrain::cpu
