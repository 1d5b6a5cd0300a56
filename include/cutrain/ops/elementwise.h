// Elementwise ops and their graph builders.
//
// Binary ops (add, sub, mul, div, maximum) broadcast numpy-style; their
// gradients are summed back to each input's shape with sum_to.
// Unary: relu, leaky_relu(alpha), sigmoid, tanh, square, exp, log, sqrt, neg,
// scale(alpha) (alpha * x), add_scalar(alpha). add_n sums equal-shape values.
#pragma once

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

Value add(Value a, Value b);
Value sub(Value a, Value b);
Value mul(Value a, Value b);
Value div(Value a, Value b);
Value relu(Value x);
Value leaky_relu(Value x, double alpha = 0.2);
Value sigmoid(Value x);
Value tanh(Value x);
Value square(Value x);
Value exp(Value x);
Value log(Value x);
Value sqrt(Value x);
Value neg(Value x);
Value scale(Value x, double alpha);
Value add_scalar(Value x, double alpha);
// Sums x over the dimensions broadcast from `shape` (the inverse of broadcasting).
Value sum_to(Value x, const Shape& shape);

// Broadcast result shape of two shapes; throws naming both.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace cutrain::ops
