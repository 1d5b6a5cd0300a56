// Matrix multiplication and the dense (fully connected) layer.
//
//   matmul(a, b)  attrs transpose_a, transpose_b (bool, default false) -> y
//     a: [..., M, K] (leading dims fold into M), or [K, M] with transpose_a (2-D only)
//     b: [K, N], or [N, K] with transpose_b
//     y: [..., M, N] = op(a) · op(b)
//   Gradients are matmuls again: for y = a·b, da = dy·bᵀ and db = aᵀ·dy, with
//   the transposes folded into the flags.
//
//   dense(x [N, in], w [out, in], bias [out] or undefined) = x·wᵀ + bias
//   (PyTorch Linear), built as matmul(transpose_b) + a broadcast add.
#pragma once

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

Value matmul(Value a, Value b, bool transpose_a = false, bool transpose_b = false);
Value dense(Value x, Value w, Value bias = {});

}  // namespace cutrain::ops
