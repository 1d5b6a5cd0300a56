// Spectral normalisation (SN-GAN, PyTorch torch.nn.utils.spectral_norm).
//
// spectral_norm(w, u [h], v [wd]) -> (w_sn = w / sigma, sigma [])
//   attrs n_power_iterations (1), eps (1e-12), dim (0).
//   The weight is viewed as the matrix (w.size(dim), -1): for OHWI conv and
//   [out, in] dense weights dim 0 gives (O, H*W*I) and (out, in). u and v are
//   state, mutated in place and never differentiated. In training the op runs
//   n_power_iterations of v = normalize(W^T u); u = normalize(W v) and stores
//   u and v; in eval it uses the stored vectors unchanged. Then
//   sigma = u^T W v. normalize(x) = x / max(|x|, eps).
// spectral_norm_grad(G, w_sn, u, v, sigma, [dsigma]) attr dim:
//   dW = (G - <G, w_sn> u v^T) / sigma + dsigma u v^T, u and v held constant
//   (as PyTorch, whose power iteration runs without gradient).
//
// Graph builders: graph/ops/spectral_norm.h; backward rules: src/graph/grads/spectral_norm_grad.cpp.
#pragma once

#include <utility>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

// Initial u [h] and v [numel / h] for a weight of `shape`: normalised N(0, 1)
// draws (u from `seed`, v from seed + 1), as PyTorch initialises its buffers.
std::pair<Tensor, Tensor> spectral_norm_init_uv(const Shape& shape, int dim, DType dtype, uint64_t seed,
                                                double eps = 1e-12);

}  // namespace cutrain::ops
