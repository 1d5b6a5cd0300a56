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
//
// Graph builders: graph/ops/matmul.h; backward rules: src/graph/grads/matmul_grad.cpp.
#pragma once
