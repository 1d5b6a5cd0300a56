// Inverted dropout, with its graph builder.
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
#pragma once

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

// Returns y; the mask is output 1 of the same node.
Value dropout(Value x, double rate);

}  // namespace cutrain::ops
