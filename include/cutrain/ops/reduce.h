// Reductions and broadcasting.
//
//   sum(x), mean(x)   attrs axes (ints, negative allowed; empty: all axes),
//                     keepdims (bool, default false)             -> y
//   broadcast_to(x)   attr shape (numpy broadcasting of x to it) -> y
//
// Gradients: dy is reshaped to the keepdims shape and broadcast back to x
// (divided by the reduced count for mean); broadcast_to's gradient is sum_to.
//
// Graph builders: graph/ops/reduce.h; backward rules: src/graph/grads/reduce_grad.cpp.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

// How a sum/mean node's attributes select axes (shared by inference, the
// kernels and the backward rule): reduced[d] = 1 for each axis in attr axes
// (all axes when empty); errors name `op`.
std::vector<char> reduced_axes(const std::string& op, const Attrs& a, const Shape& s);
Shape reduced_shape(const Shape& s, const std::vector<char>& reduced, bool keepdims);
int64_t reduced_count(const Shape& s, const std::vector<char>& reduced);

}  // namespace cutrain::ops
