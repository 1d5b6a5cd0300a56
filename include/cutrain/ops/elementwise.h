// Elementwise ops.
//
// Binary ops (add, sub, mul, div, maximum) broadcast numpy-style; their
// gradients are summed back to each input's shape with sum_to.
// Unary: relu, leaky_relu(alpha), sigmoid, tanh, square, exp, log, sqrt, neg,
// scale(alpha) (alpha * x), add_scalar(alpha). add_n sums equal-shape values.
//
// Graph builders: graph/ops/elementwise.h; backward rules: src/graph/grads/elementwise_grad.cpp.
#pragma once

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

// Broadcast result shape of two shapes; throws naming both.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace cutrain::ops
