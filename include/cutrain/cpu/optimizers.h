// CPU reference kernels for optimizer updates (float and double, contiguous
// tensors). Each updates one parameter and its slots in place; the formulas
// are documented in cutrain/ops/optimizers.h.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

struct SgdParams {
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
};
// `buf` may be undefined when momentum is 0.
void sgd_update(const std::string& op, const SgdParams& p, const Tensor& param, const Tensor& grad,
                const Tensor& buf);

struct RmsPropParams {
  double lr = 0.01, decay = 0.9, momentum = 0.0, epsilon = 1e-10;
};
void rmsprop_update(const std::string& op, const RmsPropParams& p, const Tensor& param, const Tensor& grad,
                    const Tensor& ms, const Tensor& mom);

struct AdamParams {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0.0;
  int64_t step = 1;
  bool decoupled = false;
};
void adam_update(const std::string& op, const AdamParams& p, const Tensor& param, const Tensor& grad,
                 const Tensor& m, const Tensor& v);

// shadow -= (1 - decay) * (shadow - value), in the tensor's dtype with
// 1 - decay formed in double.
void ema_update(const std::string& op, double decay, const Tensor& shadow, const Tensor& value);

// out[] = sqrt(sum over every tensor of sum(g^2)).
void global_norm(const std::string& op, const std::vector<Tensor>& grads, const Tensor& out);
// out_k = g_k * clip_norm / max(norm, clip_norm).
void clip_by_global_norm(const std::string& op, double clip_norm, const std::vector<Tensor>& grads,
                         const Tensor& norm, const std::vector<Tensor>& out);

}  // namespace cutrain::cpu
