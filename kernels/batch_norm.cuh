// Batch normalisation over the last (channel) axis of x [M, C] (NHWC
// activations flattened to rows): the launchers of batch_norm.cu.
//
// Semantics match src/cpu/batch_norm.cpp: training statistics are the mean
// and the biased variance over the M rows; the running statistics move by
// running = decay * running + (1 - decay) * batch with the unbiased variance;
// y = (x - mean) * (gamma * invstd) + beta (gamma null: scale invstd),
// optionally followed by ReLU. Accumulation is in T (float for f32).
//
// Launch counts: batch_norm_stats 2 (per-row-block Welford partials, then one
// Chan combine per channel that also updates the running statistics),
// batch_norm_eval_stats 1, batch_norm_apply 1, batch_norm_backward 3
// (partial sums of dy and dy * xhat, combine into dbeta/dgamma, dx),
// batch_norm_stats_backward 1. Deterministic: the reduction order is fixed
// by (M, C).
//
// f16/bf16 activations (the host types of cutrain/core/dtype.h): x, y, dy
// and dx in 16 bits; statistics, parameters, their gradients and the
// workspace in f32; all arithmetic in fp32, each activation rounded once.
#pragma once

#include <cstdint>

#include "cutrain/core/dtype.h"
#include "launch.cuh"

namespace cutrain::kernels {

#define CUTRAIN_BN_LOWP_LAUNCHERS(H)                                                                            \
  void batch_norm_stats(const H* x, int64_t m, int64_t c, double epsilon, double decay, float* running_mean,    \
                        float* running_var, float* saved_mean, float* saved_invstd, float* workspace,           \
                        cudaStream_t stream);                                                                   \
  void batch_norm_apply(const H* x, const float* mean, const float* invstd, const float* gamma,                 \
                        const float* beta, int64_t m, int64_t c, bool relu, H* y, cudaStream_t stream);         \
  void batch_norm_backward(const H* dy, const H* x, const float* mean, const float* invstd, const float* gamma,  \
                           int64_t m, int64_t c, bool training, H* dx, float* dbeta, float* dgamma,             \
                           float* workspace, cudaStream_t stream);                                              \
  void batch_norm_stats_backward(const H* x, const float* mean, const float* invstd, const float* dmean,         \
                                 const float* dinvstd, int64_t m, int64_t c, bool training, H* dx,              \
                                 cudaStream_t stream);

CUTRAIN_KERNEL_LAUNCHERS(
    // Elements of T (float for 16-bit activations) the workspace of batch_norm_stats / batch_norm_backward needs.
    int64_t batch_norm_workspace(int64_t m, int64_t c);
    template <typename T>
    void batch_norm_stats(const T* x, int64_t m, int64_t c, double epsilon, double decay, T* running_mean,
                          T* running_var, T* saved_mean, T* saved_invstd, T* workspace, cudaStream_t stream);
    // Eval: saved_mean = running_mean, saved_invstd = 1 / sqrt(running_var + epsilon).
    template <typename T>
    void batch_norm_eval_stats(const T* running_mean, const T* running_var, int64_t c, double epsilon,
                               T* saved_mean, T* saved_invstd, cudaStream_t stream);
    template <typename T>
    void batch_norm_apply(const T* x, const T* mean, const T* invstd, const T* gamma, const T* beta, int64_t m,
                          int64_t c, bool relu, T* y, cudaStream_t stream);
    // dx (training: through the batch statistics; eval: gamma * invstd * dy),
    // dbeta = sum(dy), dgamma = sum(dy * xhat) (skipped when null).
    template <typename T>
    void batch_norm_backward(const T* dy, const T* x, const T* mean, const T* invstd, const T* gamma, int64_t m,
                             int64_t c, bool training, T* dx, T* dbeta, T* dgamma, T* workspace,
                             cudaStream_t stream);
    // dx from gradients reaching saved_mean/saved_invstd (zero in eval).
    template <typename T>
    void batch_norm_stats_backward(const T* x, const T* mean, const T* invstd, const T* dmean, const T* dinvstd,
                                   int64_t m, int64_t c, bool training, T* dx, cudaStream_t stream);
    CUTRAIN_BN_LOWP_LAUNCHERS(Half)
    CUTRAIN_BN_LOWP_LAUNCHERS(BFloat16))
#undef CUTRAIN_BN_LOWP_LAUNCHERS

}  // namespace cutrain::kernels
