// The optimizer family on CUDA (kernels/optimizers.cu): each update runs the
// multi-tensor launcher over a list of one parameter and writes the op's
// scalar token. Hyperparameters as cutrain/params/optimizers.h; `dyn` says
// where the per-step values are. Float and double; `op` names the op in errors.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/params/optimizers.h"
#include "cutrain/params/step_scalars.h"

namespace cutrain::cuda {

// A guarded update's device flags (ops/optimizers.h): found_inf and, for
// Adam, the applied-step count, f64 [] each; undefined: unguarded.
struct UpdateGuardTensors {
  Tensor found_inf, steps;
};

// `buf` may be undefined when momentum is 0.
void sgd_update(const std::string& op, const params::Sgd& p, const params::StepScalars& dyn,
                const UpdateGuardTensors& guard, const Tensor& param, const Tensor& grad, const Tensor& buf,
                const Tensor& token, const Stream& stream);
void rmsprop_update(const std::string& op, const params::RmsProp& p, const params::StepScalars& dyn,
                    const UpdateGuardTensors& guard, const Tensor& param, const Tensor& grad, const Tensor& ms,
                    const Tensor& mom, const Tensor& token, const Stream& stream);
void adam_update(const std::string& op, const params::Adam& p, const params::StepScalars& dyn,
                 const UpdateGuardTensors& guard, const Tensor& param, const Tensor& grad, const Tensor& m,
                 const Tensor& v, const Tensor& token, const Stream& stream);
void ema_update(const std::string& op, double decay, const params::StepScalars& dyn, const UpdateGuardTensors& guard,
                const Tensor& shadow, const Tensor& value, const Tensor& token, const Stream& stream);
// out[] = sqrt(sum over every tensor of sum(g^2)).
void global_norm(const std::string& op, const std::vector<Tensor>& grads, const Tensor& out, const Stream& stream);
// out_k = g_k * clip_norm / max(norm, clip_norm).
void clip_by_global_norm(const std::string& op, double clip_norm, const std::vector<Tensor>& grads,
                         const Tensor& norm, const std::vector<Tensor>& out, const Stream& stream);
// out_k = clamp(g_k, -clip_value, clip_value), NaN kept.
void clip_by_value(const std::string& op, double clip_value, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& out, const Stream& stream);
// out_k = g_k / scale, found_inf = any g non-finite (one multi-tensor launch).
void unscale_check_finite(const std::string& op, const std::vector<Tensor>& grads, const Tensor& scale,
                          const std::vector<Tensor>& out, const Tensor& found_inf, const Stream& stream);
void accumulate_gradient(const std::string& op, const Tensor& acc, const Tensor& grad, const Tensor& token,
                         const Stream& stream);
void take_accumulated(const std::string& op, double scale, const Tensor& acc, const Tensor& grad, const Tensor& out,
                      const Stream& stream);
void update_loss_scale(const std::string& op, const params::LossScaleUpdate& p, const Tensor& scale,
                       const Tensor& growth_tracker, const Tensor& steps, const Tensor& found_inf,
                       const Tensor& token, const Stream& stream);

}  // namespace cutrain::cuda
