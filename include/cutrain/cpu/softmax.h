// CPU reference kernels for softmax and log-softmax along the last axis
// (float and double). Each row subtracts its max before exponentiating, so
// large logits do not overflow.
#pragma once

#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// y = softmax(x) or log_softmax(x) over the last axis.
void softmax(const std::string& op, bool log, const Tensor& x, const Tensor& y);

// dx from dy and the forward output y, per row:
//   softmax:     dx = y * (dy - sum(dy * y))
//   log_softmax: dx = dy - exp(y) * sum(dy)
void softmax_grad(const std::string& op, bool log, const Tensor& dy, const Tensor& y, const Tensor& dx);

}  // namespace cutrain::cpu
