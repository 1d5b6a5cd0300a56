// CPU reference kernels of the fused Inception concat (float and double,
// contiguous tensors). Branch b is x_b [..., C_b]; the output is their
// channel-axis concat y [..., sum C_b] with, per element of branch b and
// channel j, y = relu?(a_b[j] * x + b_b[j]) (the affine only when scale and
// shift are given).
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// scale, shift: empty, or one [C_b] tensor per branch.
void inception_concat(const std::string& op, const std::vector<Tensor>& x, const std::vector<Tensor>& scale,
                      const std::vector<Tensor>& shift, bool relu, const Tensor& y);

// dx_b = dy's slice of branch b, zero where y <= 0 when relu (y: the fused
// output), times a_b when scale is given.
void inception_concat_grad(const std::string& op, const Tensor& dy, const Tensor& y, bool relu,
                           const std::vector<Tensor>& scale, const std::vector<Tensor>& dx);

}  // namespace cutrain::cpu
