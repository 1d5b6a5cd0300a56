// Reductions and broadcasting, with their graph builders.
//
//   sum(x), mean(x)   attrs axes (ints, negative allowed; empty: all axes),
//                     keepdims (bool, default false)             -> y
//   broadcast_to(x)   attr shape (numpy broadcasting of x to it) -> y
//
// Gradients: dy is reshaped to the keepdims shape and broadcast back to x
// (divided by the reduced count for mean); broadcast_to's gradient is sum_to.
#pragma once

#include <vector>

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

Value sum(Value x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
Value mean(Value x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
Value broadcast_to(Value x, const Shape& shape);

}  // namespace cutrain::ops
