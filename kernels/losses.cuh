// Loss kernels, float and double: the launchers of losses.cu. Every sum and
// transcendental is computed in double, as in the CPU reference
// (src/cpu/losses.cpp), whose formulas they reproduce:
//
// softmax_cross_entropy (one warp per row of logits [N, C]), fused: one pass
//   computes m = max x, lse = m + log Σ exp(x − m), the smoothed target
//   t_c = (1 − s)·label_c + s/C (label_c one-hot of an i32/i64 class id, or
//   the float row of a [N, C] label tensor), and writes whichever outputs are
//   non-null:
//     loss[i]       = Σ_c t_c (lse − x_c)
//     dlogits[i, c] = dloss[i] · (exp(x_c − lse) · Σ_c' t_c' − t_c)
//   A class id outside [0, C) makes that row's loss and gradient NaN (the CPU
//   op raises an error; a kernel cannot). f16/bf16 logits (host types of
//   cutrain/core/dtype.h): loss, dloss and dense labels stay f32, the
//   gradient is written in the logits' type, all arithmetic in double.
// per-sample losses over the F = numel / N features of each sample (one block
//   per sample):
//   sigmoid BCE:  Σ_j max(x, 0) − x t + log1p(exp(−|x|)), t = (1 − s) y + s/2;
//                 / F unless sum_features.  grad: dloss / (F or 1) · (σ(x) − t)
//   MSE:          Σ_j (p − t)² / F.          grad: 2 dloss / F · (p − t)
//   gaussian KL:  −½ Σ_j (1 + lv − μ² − exp lv).
//                 grad: dμ = dloss μ, dlv = dloss ½ (exp lv − 1)
// weighted_loss_reduce (one block): out = Σ l_i w_i / divisor with divisor N,
//   Σ w_i (0 when that is 0: the output is 0) or 1; weights null = all ones.
//   grad: dper_sample[i] = dy · w_i / divisor.
#pragma once

#include <cstdint>

#include "cutrain/core/dtype.h"
#include "launch.cuh"

namespace cutrain::kernels {

enum class LabelKind : int { i32, i64, dense };
enum class SampleLoss : int { sigmoid_bce, mse, gaussian_kl };
enum class LossReductionMode : int { sum_over_batch_size, mean_weighted, sum };

struct SampleLossArgs {
  SampleLoss kind = SampleLoss::mse;
  double label_smoothing = 0.0;  // sigmoid_bce
  bool sum_features = false;     // sigmoid_bce
};

CUTRAIN_KERNEL_LAUNCHERS(
    void softmax_cross_entropy(const float* logits, LabelKind label_kind, const void* labels, int64_t n,
                               int64_t classes, double label_smoothing, float* loss, const float* dloss,
                               float* dlogits, cudaStream_t stream);
    void softmax_cross_entropy(const double* logits, LabelKind label_kind, const void* labels, int64_t n,
                               int64_t classes, double label_smoothing, double* loss, const double* dloss,
                               double* dlogits, cudaStream_t stream);
    void softmax_cross_entropy(const Half* logits, LabelKind label_kind, const void* labels, int64_t n,
                               int64_t classes, double label_smoothing, float* loss, const float* dloss,
                               Half* dlogits, cudaStream_t stream);
    void softmax_cross_entropy(const BFloat16* logits, LabelKind label_kind, const void* labels, int64_t n,
                               int64_t classes, double label_smoothing, float* loss, const float* dloss,
                               BFloat16* dlogits, cudaStream_t stream);
    // a, b: (logits, targets), (pred, target) or (mu, logvar); loss [n].
    void sample_loss(const SampleLossArgs& args, const float* a, const float* b, int64_t n, int64_t features,
                     float* loss, cudaStream_t stream);
    void sample_loss(const SampleLossArgs& args, const double* a, const double* b, int64_t n, int64_t features,
                     double* loss, cudaStream_t stream);
    // da: dlogits / dpred / dmu; db: dlogvar (gaussian_kl only, else unused).
    void sample_loss_grad(const SampleLossArgs& args, const float* dloss, const float* a, const float* b,
                          int64_t n, int64_t features, float* da, float* db, cudaStream_t stream);
    void sample_loss_grad(const SampleLossArgs& args, const double* dloss, const double* a, const double* b,
                          int64_t n, int64_t features, double* da, double* db, cudaStream_t stream);
    void weighted_loss_reduce(LossReductionMode mode, const float* per_sample, const float* weights, int64_t n,
                              float* out, cudaStream_t stream);
    void weighted_loss_reduce(LossReductionMode mode, const double* per_sample, const double* weights, int64_t n,
                              double* out, cudaStream_t stream);
    void weighted_loss_reduce_grad(LossReductionMode mode, const float* dy, const float* weights, int64_t n,
                                   float* dper_sample, cudaStream_t stream);
    void weighted_loss_reduce_grad(LossReductionMode mode, const double* dy, const double* weights, int64_t n,
                                   double* dper_sample, cudaStream_t stream);)

}  // namespace cutrain::kernels
