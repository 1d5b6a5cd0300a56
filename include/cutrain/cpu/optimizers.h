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

// out_k = min(max(g_k, -clip_value), clip_value), NaN kept (Keras clipvalue).
void clip_by_value(const std::string& op, double clip_value, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& out);

// Gradient accumulation: acc += g; out = (acc + g) * scale, then acc = 0.
void accumulate_gradient(const std::string& op, const Tensor& acc, const Tensor& grad);
void take_accumulated(const std::string& op, double scale, const Tensor& acc, const Tensor& grad, const Tensor& out);

// Loss scaling (torch.amp.GradScaler; formulas in kernels/optimizers.cuh):
// out_k = g_k * T(1 / scale); found_inf (f64 []) = 1 when any g is inf/NaN, else 0.
void unscale_check_finite(const std::string& op, const std::vector<Tensor>& grads, const Tensor& scale,
                          const std::vector<Tensor>& out, const Tensor& found_inf);
// The scale (model dtype []), growth tracker and applied-step count (f64 [])
// after a step whose flag is found_inf.
void update_loss_scale(const std::string& op, const params::LossScaleUpdate& p, const Tensor& scale,
                       const Tensor& growth_tracker, const Tensor& steps, const Tensor& found_inf);
// Whether a guarded update skips: found_inf (f64 []) is not 0.
bool update_skipped(const Tensor& found_inf);

}  // namespace cutrain::cpu
