// Spectral normalisation on CUDA (kernels/spectral_norm.cu), with the
// arguments and the matrix view of cutrain/cpu/spectral_norm.h. Float and
// double. The stream is the core Stream: the f64 workspaces come from its
// stream-ordered caching allocator.
#pragma once

#include <string>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/params/spectral_norm.h"

namespace cutrain::cuda {

// (w, u, v) -> (w_sn, sigma); u, v updated in place in training.
void spectral_norm(const std::string& op, const params::SpectralNorm& p, const Tensor& w, const Tensor& u,
                   const Tensor& v, const Tensor& w_sn, const Tensor& sigma, const Stream& stream);
// (g, w_sn, u, v, sigma [, dsigma]) -> dw; dsigma may be undefined.
void spectral_norm_grad(const std::string& op, int dim, const Tensor& g, const Tensor& w_sn, const Tensor& u,
                        const Tensor& v, const Tensor& sigma, const Tensor& dsigma, const Tensor& dw,
                        const Stream& stream);

}  // namespace cutrain::cuda
