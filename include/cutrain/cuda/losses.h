// The loss family on CUDA (kernels/losses.cu), with the arguments of
// cutrain/cpu/losses.h. Float and double (labels: dense, i32 or i64 class
// indices); `op` names the op in errors.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/losses.h"

namespace cutrain::cuda {

// (logits [N, C], labels) -> loss [N]
void softmax_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& labels, double label_smoothing,
                           const Tensor& loss, cudaStream_t stream);
// (dloss [N], logits, labels) -> dlogits
void softmax_cross_entropy_grad(const std::string& op, const Tensor& dloss, const Tensor& logits,
                                const Tensor& labels, double label_smoothing, const Tensor& dlogits,
                                cudaStream_t stream);
void sigmoid_binary_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& labels,
                                  double label_smoothing, bool sum_features, const Tensor& loss, cudaStream_t stream);
void sigmoid_binary_cross_entropy_grad(const std::string& op, const Tensor& dloss, const Tensor& logits,
                                       const Tensor& labels, double label_smoothing, bool sum_features,
                                       const Tensor& dlogits, cudaStream_t stream);
void mean_squared_error(const std::string& op, const Tensor& pred, const Tensor& target, const Tensor& loss,
                        cudaStream_t stream);
void mean_squared_error_grad(const std::string& op, const Tensor& dloss, const Tensor& pred, const Tensor& target,
                             const Tensor& dpred, cudaStream_t stream);
void gaussian_kl(const std::string& op, const Tensor& mu, const Tensor& logvar, const Tensor& loss,
                 cudaStream_t stream);
void gaussian_kl_grad(const std::string& op, const Tensor& dloss, const Tensor& mu, const Tensor& logvar,
                      const Tensor& dmu, const Tensor& dlogvar, cudaStream_t stream);
// (per_sample [N], weights [N] or undefined) -> out []
void weighted_loss_reduce(const std::string& op, params::LossReduction mode, const Tensor& per_sample,
                          const Tensor& weights, const Tensor& out, cudaStream_t stream);
// (dy [], weights [N] or undefined) -> dper_sample [N]
void weighted_loss_reduce_grad(const std::string& op, params::LossReduction mode, const Tensor& dy,
                               const Tensor& weights, const Tensor& dper_sample, cudaStream_t stream);

}  // namespace cutrain::cuda
