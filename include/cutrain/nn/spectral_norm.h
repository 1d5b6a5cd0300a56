// Spectral normalization as a layer wrapper: a WeightTransform for the conv2d
// and dense builders (layers.h) that replaces the layer's weight W by W / σ(W),
// σ estimated by power iteration (PyTorch's torch.nn.utils.spectral_norm).
//
//   ConvOptions o;
//   o.weight_transform = nn::spectral_norm();
//   y = nn::conv2d(b, x, 64, {3, 3}, 1, "SAME", "conv1", o);
//
// Inside the layer's scope it creates two state leaves,
//   <layer>/weight_u  [out]             normalized N(0, 1) draw
//   <layer>/weight_v  [numel / out]     normalized N(0, 1) draw
// and applies the spectral_norm op with dim 0 (OHWI conv weights and [out, in]
// dense weights both have the output units first). The raw weight stays the
// trainable parameter (`<layer>/weights`, still in Model::params and, if the
// layer asks for it, in the L2 list); u and v are Model::states, so they are
// saved in checkpoints and updated in place by training runs only (eval runs
// use the stored vectors). σ is registered as the endpoint `<layer>/sigma`.
//
// Names against PyTorch's state_dict of a spectral-normed module:
//   weight_orig -> <layer>/weights    (PyTorch conv OIHW; ours OHWI: permute (0, 2, 3, 1))
//   weight_u    -> <layer>/weight_u   (same order: one entry per output unit)
//   weight_v    -> <layer>/weight_v   (PyTorch orders it (I, kh, kw), ours (kh, kw, I):
//                                      reshape to [I, kh, kw], permute (1, 2, 0), flatten)
//   weight      -> not stored (recomputed from the three above)
#pragma once

#include <cstdint>

#include "cutrain/nn/model.h"

namespace cutrain::nn {

WeightTransform spectral_norm(int64_t n_power_iterations = 1, double eps = 1e-12);

}  // namespace cutrain::nn
