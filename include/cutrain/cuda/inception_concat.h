// The fused Inception concat on CUDA (kernels/inception_concat.cu), with the
// arguments of cutrain/cpu/inception_concat.h: k branches x, and per branch a
// scale and shift (empty unless affine) and a centre (empty unless centred).
// Float and double, and f16/bf16 activations with f32 scale, shift and centre;
// `op` names the op in errors.
#pragma once

#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

void inception_concat(const std::string& op, const std::vector<Tensor>& x, const std::vector<Tensor>& scale,
                      const std::vector<Tensor>& shift, const std::vector<Tensor>& center, bool relu,
                      const Tensor& y, cudaStream_t stream);
// (dy, [y]) -> dx_0..dx_{k-1}; y is read when relu, scale when not empty.
void inception_concat_grad(const std::string& op, const Tensor& dy, const Tensor& y, bool relu,
                           const std::vector<Tensor>& scale, const std::vector<Tensor>& dx, cudaStream_t stream);

}  // namespace cutrain::cuda
