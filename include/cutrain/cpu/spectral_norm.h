// CPU reference kernels for spectral normalisation (float and double,
// contiguous tensors). The weight is viewed as the matrix
// (w.size(dim), numel / w.size(dim)) whose row index is the index along `dim`
// and whose column index runs over the other dimensions in order, as PyTorch's
// weight.permute(dim, ...).reshape(h, -1).
#pragma once

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/spectral_norm.h"

namespace cutrain::cpu {

using SpectralNormParams = params::SpectralNorm;

// Training: n times v = normalize(W^T u), u = normalize(W v), written back to
// u and v; then (training or not) sigma = u^T W v and w_sn = w / sigma.
void spectral_norm(const std::string& op, const SpectralNormParams& p, const Tensor& w,
                   const Tensor& u, const Tensor& v, const Tensor& w_sn, const Tensor& sigma);

// dw = (g - <g, w_sn> u v^T) / sigma + dsigma u v^T, with u and v constant.
// g or dsigma may be undefined (no gradient flows there).
void spectral_norm_grad(const std::string& op, int dim, const Tensor& g, const Tensor& w_sn,
                        const Tensor& u, const Tensor& v, const Tensor& sigma, const Tensor& dsigma,
                        const Tensor& dw);

}  // namespace cutrain::cpu
