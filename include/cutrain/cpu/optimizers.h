// CPU reference kernels for optimizer updates (float and double, contiguous
// tensors). Each updates one parameter and its slots in place; the formulas
// are documented with the optimizer ops (ops/optimizers.h).
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/params/optimizers.h"

namespace cutrain::cpu {

// `buf` may be undefined when momentum is 0.
void sgd_update(const std::string& op, const params::Sgd& p, const Tensor& param, const Tensor& grad,
                const Tensor& buf);

void rmsprop_update(const std::string& op, const params::RmsProp& p, const Tensor& param, const Tensor& grad,
                    const Tensor& ms, const Tensor& mom);

void adam_update(const std::string& op, const params::Adam& p, const Tensor& param, const Tensor& grad,
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
