// Graph builders of the elementwise ops (their definition: cutrain/ops/elementwise.h).
//
// Every builder lives in cutrain::graph, beside Graph and Value, in
// graph/ops/<op>.h: building a node is graph API, and the op registry below
// (cutrain::ops) must not know graphs. Call sites read graph::conv2d(x, w, o)
// with the attribute structs still ops::Conv2dOptions, ops::PoolOptions, ...,
// since those describe the op's attributes, not the graph. No nested
// namespace: graph::ops:: would shadow cutrain::ops inside the graph layer.
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/elementwise.h"

namespace cutrain::graph {

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

}  // namespace cutrain::graph
