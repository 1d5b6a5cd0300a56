// CPU reference kernels for pooling (NHWC), float and double.
//
// Padding never takes part in a max. The average divides by the number of
// in-bounds elements of the window (TensorFlow's SAME), or with
// include_pad by the window's extent inside the padded input (torchvision's
// count_include_pad=True; kh*kw for SAME and VALID).
#pragma once

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/pool.h"

namespace cutrain::cpu {

void max_pool(const std::string& op, const params::Pool2d& p, const Tensor& x, const Tensor& y);
// dx receives dy at each window's argmax; ties go to the first element in
// scan order (row by row, then column).
void max_pool_grad(const std::string& op, const params::Pool2d& p, const Tensor& dy,
                   const Tensor& x, const Tensor& dx);

void avg_pool(const std::string& op, const params::Pool2d& p, const Tensor& x,
              const Tensor& y);
void avg_pool_grad(const std::string& op, const params::Pool2d& p,
                   const Tensor& dy, const Tensor& dx);

// y [N, C] (or [N, 1, 1, C]) = mean of x [N, H, W, C] over H and W.
void global_avg_pool(const std::string& op, const Tensor& x, const Tensor& y);
void global_avg_pool_grad(const std::string& op, const Tensor& dy, const Tensor& dx);

}  // namespace cutrain::cpu
