// Inverted dropout.
//
//   dropout(x)              attr rate (drop probability in [0, 1))   -> (y, mask u8)
//   dropout_grad(dy, mask)  attr rate                                -> dx
//
// Training: mask[i] is 1 with probability keep = 1 - rate, y = x * mask / keep.
// Eval (OpContext::training false): y = x, mask all ones, and dropout_grad
// passes dy through unscaled. The mask comes from Philox keyed by the node's
// seed with the executor step in the high counter word, so the same (seed,
// step) gives the same mask on every backend and each step a fresh one; the
// exact rule is in cutrain/cpu/dropout.h (dropout_kept). The backward reuses
// the forward's mask output, never redraws it.
//
// Graph builders: graph/ops/dropout.h; backward rules: src/graph/grads/dropout_grad.cpp.
#pragma once
