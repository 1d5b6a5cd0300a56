// CPU reference kernels for 2-D convolution (NHWC activations, OHWI
// weights), float and double: im2col + GEMM through OpenBLAS.
//
// The batch is processed in chunks of whole images whose column buffer stays
// near 1 MiB (cache-sized: the GEMM reads what im2col just wrote);
// im2col/col2im run with OpenMP over the images of a chunk and one GEMM
// covers the whole chunk. The column buffer is kept per calling thread and reused.
#pragma once

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/conv2d.h"

namespace cutrain::cpu {

// y[N, OH, OW, O] = sum over (i, j, c) of x[n, oh*sh - pt + i*dh, ow*sw - pl + j*dw, c]
// * w[o, i, j, c] (+ bias[o]; bias may be undefined), with the window of p. Padding reads as zero.
void conv2d_forward(const std::string& op, const params::Conv2d& p, const Tensor& x,
                    const Tensor& w, const Tensor& bias, const Tensor& y);

// dx[N, H, W, C] from dy[N, OH, OW, O] and w: the adjoint of conv2d_forward in x.
void conv2d_backward_input(const std::string& op, const params::Conv2d& p, const Tensor& dy,
                           const Tensor& w, const Tensor& dx);

// dw[O, kh, kw, C] from dy and x: the adjoint of conv2d_forward in w.
void conv2d_backward_filter(const std::string& op, const params::Conv2d& p, const Tensor& dy,
                            const Tensor& x, const Tensor& dw);

// out[C] = sum of x over every axis but the last (bias gradients of conv and dense).
void reduce_nhw_sum(const std::string& op, const Tensor& x, const Tensor& out);

}  // namespace cutrain::cpu
