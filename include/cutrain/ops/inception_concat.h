// The fused Inception concat: an Inception block's branch outputs
// concatenated along channels, optionally through each branch's final
// batch-norm affine and ReLU, in one op (one kernel on CUDA), for the
// executor's fusion pass.
//
//   inception_concat(x_0, ..., x_{k-1} [, a_0, ..., a_{k-1}, b_0, ..., b_{k-1}
//                    [, m_0, ..., m_{k-1}]]) -> y
//     2 <= k <= 4 branches x_b [..., C_b] with equal leading dims (NHWC);
//     y [..., sum C_b]. attrs: affine (default false: inputs are the k
//     branches; true: then k scales a_b [C_b] and k shifts b_b [C_b]),
//     center (default false; with affine: k more inputs m_b [C_b]), relu
//     (default false). y = relu?(a_b * x_b + b_b) in branch b's slice, or
//     relu?((x_b - m_b) * a_b + b_b) when centred: a gamma-free batch norm's
//     apply with m = saved mean, a = saved inverse std, b = beta, computed as
//     the batch_norm op computes it (the fusion pass relies on that).
//   inception_concat_grad(dy, [y if relu], [a_0 .. a_{k-1} if affine]) -> dx_0 .. dx_{k-1}
//     attrs: channels [C_0, ..., C_{k-1}], relu, affine. dx_b = a_b * (dy
//     slice b masked by y > 0). Gradients of a_b and b_b are built from
//     reduce_nhw_sum in the backward rule.
//
// Graph builders: graph/ops/inception_concat.h; backward rules: src/graph/grads/inception_concat_grad.cpp.
#pragma once

#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

// The number of branches of an inception_concat node with `inputs` inputs
// (its attrs affine and center say how many inputs each branch has), checked.
int branch_count(const Attrs& a, size_t inputs);

}  // namespace cutrain::ops
