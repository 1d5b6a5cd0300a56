// Softmax and log-softmax over the last axis, with their graph builders.
//
//   softmax(x)                   -> y
//   log_softmax(x)               -> y
//   softmax_grad(dy, y)          -> dx = y * (dy - sum_last(dy * y))
//   log_softmax_grad(dy, y)      -> dx = dy - exp(y) * sum_last(dy)
//
// Both forward ops save their output y for the backward. The grad ops have
// backward rules too (built from elementwise ops, sum and the grad ops
// themselves), so second derivatives work.
#pragma once

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

Value softmax(Value x);
Value log_softmax(Value x);

}  // namespace cutrain::ops
