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

// `buf` may be undefined when momentum is 0.
void sgd_update(const std::string& op, const params::Sgd& p, const params::StepScalars& dyn, const Tensor& param,
                const Tensor& grad, const Tensor& buf, const Tensor& token, const Stream& stream);
void rmsprop_update(const std::string& op, const params::RmsProp& p, const params::StepScalars& dyn,
                    const Tensor& param, const Tensor& grad, const Tensor& ms, const Tensor& mom,
                    const Tensor& token, const Stream& stream);
void adam_update(const std::string& op, const params::Adam& p, const params::StepScalars& dyn, const Tensor& param,
                 const Tensor& grad, const Tensor& m, const Tensor& v, const Tensor& token, const Stream& stream);
void ema_update(const std::string& op, double decay, const params::StepScalars& dyn, const Tensor& shadow,
                const Tensor& value, const Tensor& token, const Stream& stream);
// out[] = sqrt(sum over every tensor of sum(g^2)).
void global_norm(const std::string& op, const std::vector<Tensor>& grads, const Tensor& out, const Stream& stream);
// out_k = g_k * clip_norm / max(norm, clip_norm).
void clip_by_global_norm(const std::string& op, double clip_norm, const std::vector<Tensor>& grads,
                         const Tensor& norm, const std::vector<Tensor>& out, const Stream& stream);

}  // namespace cutrain::cuda
