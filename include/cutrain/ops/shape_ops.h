// Shape ops. None of them changes a value, only
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
//
// Graph builders: graph/ops/shape_ops.h; backward rules: src/graph/grads/shape_ops_grad.cpp.
#pragma once

#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

// A transpose node's permutation (attr perm; reversed axes when empty), checked.
std::vector<int64_t> transpose_perm(const Attrs& a, int rank, const Shape& in);

}  // namespace cutrain::ops
