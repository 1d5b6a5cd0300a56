// Shape ops and their graph builders. None of them changes a value, only
// where it sits, so every gradient is the inverse movement of dy.
//
//   reshape(x)        attr shape (ints, at most one -1)          -> y
//   flatten(x)        [N, d1, ...] -> [N, d1 * ...]               -> y
//   squeeze(x)        attr axes (ints; empty: every size-1 axis)  -> y
//   expand_dims(x)    attr axis (a new size-1 axis at that index) -> y
//   concat(x0, ...)   attr axis; variadic                          -> y
//   split(x)          attrs axis, sizes (summing to x's dim)       -> one output per size
//   transpose(x)      attr perm (empty: reversed axes)             -> y
//
// Gradients: reshape-like ops reshape dy back; concat splits dy; split
// concatenates its output gradients (zeros where none flows); transpose
// applies the inverse permutation.
#pragma once

#include <vector>

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

Value reshape(Value x, const Shape& shape);
Value reshape(Value x, const std::vector<int64_t>& dims);  // one dim may be -1
Value flatten(Value x);
Value squeeze(Value x, const std::vector<int64_t>& axes = {});
Value expand_dims(Value x, int64_t axis);
Value concat(const std::vector<Value>& values, int64_t axis);
std::vector<Value> split(Value x, int64_t axis, const std::vector<int64_t>& sizes);
Value transpose(Value x, const std::vector<int64_t>& perm = {});

}  // namespace cutrain::ops
