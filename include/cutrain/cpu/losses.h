// CPU reference kernels for the per-sample losses, their fused backward
// passes, the weighted loss reduction and the L2 regulariser (float and
// double, contiguous tensors). Sums accumulate in double so the f32 path is
// a faithful reference for long reductions.
#pragma once

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/losses.h"

namespace cutrain::cpu {

// loss[i] = sum_c t_ic * (logsumexp(x_i) - x_ic) with t = (1 - s) * labels + s / C.
// labels: i32/i64 class ids [N], or float [N, C] (one-hot or probabilities).
void softmax_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& labels,
                           double label_smoothing, const Tensor& loss);
// dlogits[i, c] = dloss[i] * (softmax(x_i)_c * sum_c' t_ic' - t_ic): one pass per row.
void softmax_cross_entropy_grad(const std::string& op, const Tensor& dloss, const Tensor& logits,
                                const Tensor& labels, double label_smoothing, const Tensor& dlogits);

// Per sample, over the F non-batch elements, of
// max(x, 0) - x * t + log(1 + exp(-|x|)) with t = (1 - s) * targets + s / 2;
// the mean over F (sum_features false) or the sum.
void sigmoid_binary_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& targets,
                                  double label_smoothing, bool sum_features, const Tensor& loss);
void sigmoid_binary_cross_entropy_grad(const std::string& op, const Tensor& dloss,
                                       const Tensor& logits, const Tensor& targets,
                                       double label_smoothing, bool sum_features,
                                       const Tensor& dlogits);

// loss[i] = mean over the non-batch elements of (pred - target)^2.
void mean_squared_error(const std::string& op, const Tensor& pred, const Tensor& target,
                        const Tensor& loss);
// dpred = dloss[i] * 2 (pred - target) / F.
void mean_squared_error_grad(const std::string& op, const Tensor& dloss, const Tensor& pred,
                             const Tensor& target, const Tensor& dpred);

// loss[i] = -0.5 * sum_j (1 + logvar - mu^2 - exp(logvar)): KL(N(mu, exp(logvar)) || N(0, 1)).
void gaussian_kl(const std::string& op, const Tensor& mu, const Tensor& logvar, const Tensor& loss);
// dmu = dloss[i] * mu; dlogvar = dloss[i] * 0.5 (exp(logvar) - 1).
void gaussian_kl_grad(const std::string& op, const Tensor& dloss, const Tensor& mu,
                      const Tensor& logvar, const Tensor& dmu, const Tensor& dlogvar);

using params::LossReduction;
// out[] = sum_i loss_i w_i divided by N (sum_over_batch_size), by sum_i w_i
// (mean_weighted; 0 when the weights sum to 0) or by 1 (sum). `weights` may be
// undefined (all ones).
void weighted_loss_reduce(const std::string& op, LossReduction mode, const Tensor& per_sample,
                          const Tensor& weights, const Tensor& out);
// dper_sample[i] = dy * w_i / divisor, for a batch of out's size.
void weighted_loss_reduce_grad(const std::string& op, LossReduction mode, const Tensor& dy,
                               const Tensor& weights, const Tensor& dper_sample);

// out[] = weight_decay * sum(w^2) / 2; dw = dy * weight_decay * w.
void l2_loss(const std::string& op, double weight_decay, const Tensor& w, const Tensor& out);
void l2_loss_grad(const std::string& op, double weight_decay, const Tensor& dy, const Tensor& w,
                  const Tensor& dw);

}  // namespace cutrain::cpu
