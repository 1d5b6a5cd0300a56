// CPU reference kernels of the fused Inception concat (float and double,
// contiguous tensors). Branch b is x_b [..., C_b]; the output is their
// channel-axis concat y [..., sum C_b] with, per element of branch b and
// channel j, y = relu?(a_b[j] * x + b_b[j]) (the affine only when scale and
// shift are given), or y = relu?((x - m_b[j]) * a_b[j] + b_b[j]) when a
// centre m_b is given too: a batch norm's apply in the very arithmetic of
// the batch_norm op (src/cpu/batch_norm.cpp), so fusing it changes no bit.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// scale, shift: empty, or one [C_b] tensor per branch; center: empty, or one
// per branch (with scale and shift).
void inception_concat(const std::string& op, const std::vector<Tensor>& x, const std::vector<Tensor>& scale,
                      const std::vector<Tensor>& shift, const std::vector<Tensor>& center, bool relu,
                      const Tensor& y);

// dx_b = dy's slice of branch b, zero where y <= 0 when relu (y: the fused
// output), times a_b when scale is given.
void inception_concat_grad(const std::string& op, const Tensor& dy, const Tensor& y, bool relu,
                           const std::vector<Tensor>& scale, const std::vector<Tensor>& dx);

}  // namespace cutrain::cpu
